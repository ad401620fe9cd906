import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { compare, GPT2_TINY, readExpected, VIT_TINY } from '@repscope/test-support';
import { runCli } from '../../../test-support/cli';
import { tempDir } from '../../../test-support/plugin-packages';
import { encodePng } from '@repscope/models';

function readAll(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const header = readSafetensorsHeader(file);
  return new Map([...header.entries.values()].map((e) => [e.name, { shape: e.shape, data: readTensorF32(header, e) }]));
}

describe('repscope activations', () => {
  test('reproduces the GPT-2 fixture\'s reference tensors from the CLI', () => {
    const dir = tempDir();
    const expected = readExpected(GPT2_TINY);
    const ids = (expected.meta['token_ids'] as number[]).join(',');
    const out = path.join(dir, 'a.safetensors');
    const r = runCli(['activations', '--model', 'gpt2', '--weights', GPT2_TINY, '--tokens', ids, '--hooks', 'blocks.*.hook_resid_post,blocks.0.hook_resid_pre,ln_final.hook_normalized,logits', '--out', out, '--backend', 'wasm'], dir);
    expect(r.stderr).toContain('backend: wasm');
    expect(r.code).toBe(0);
    const got = readAll(out);
    expect([...got.keys()].sort()).toEqual([...expected.tensors.keys()].sort());
    for (const [name, want] of expected.tensors) {
      expect(got.get(name)!.shape).toEqual(want.shape);
      const { maxAbsDiff, tolerance } = compare(got.get(name)!.data, want.data);
      expect({ name, maxAbsDiff, ok: maxAbsDiff <= tolerance }).toMatchObject({ name, ok: true });
    }
  });

  test('multi-threaded wasm gives bit-identical activations to single-threaded wasm', () => {
    const dir = tempDir();
    const outputs = ['1', '2'].map((threads) => {
      const out = path.join(dir, `t${threads}.safetensors`);
      const r = runCli(['activations', '--model', 'gpt2', '--weights', GPT2_TINY, '--tokens', '5,6,7,8', '--out', out, '--backend', 'wasm'], dir, 120_000, { REPSCOPE_WASM_THREADS: threads });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`backend: wasm 4.22.0, ${threads} thread${threads === '1' ? '' : 's'}`);
      return fs.readFileSync(out);
    });
    expect(outputs[1]!.equals(outputs[0]!)).toBe(true);
  });

  test('images go through the model\'s preprocessing; bad arguments exit 2 with a message', () => {
    const dir = tempDir();
    const img = path.join(dir, 'grey.png');
    fs.writeFileSync(img, encodePng({ width: 40, height: 40, channels: 3, data: new Float32Array(40 * 40 * 3).fill(0.5) }));
    const out = path.join(dir, 'v.safetensors');
    const r = runCli(['activations', '--model', 'vit', '--weights', VIT_TINY, '--image', img, '--hooks', 'logits', '--out', out, '--backend', 'cpu'], dir);
    expect(r.code).toBe(0);
    const got = readAll(out);
    expect(got.get('pixel_values')!.shape).toEqual([1, 32, 32, 3]);
    expect(got.get('logits')!.shape).toEqual([1, 10]);
    const bad = runCli(['activations', '--model', 'gpt2', '--weights', GPT2_TINY, '--image', img, '--out', out], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('model gpt2 takes tokens; use --text or --tokens');
    const badHook = runCli(['activations', '--model', 'gpt2', '--weights', GPT2_TINY, '--tokens', '1,2', '--hooks', 'blocks.0.hook_resid_psot', '--out', out], dir);
    expect(badHook.code).toBe(2);
    expect(badHook.stderr).toContain('did you mean "blocks.0.hook_resid_post"');
  });
});
