import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildGpt2 } from '../gpt2/kind';
import { readSafetensorsHeader, readTensorF32 } from '../safetensors/read';
import { writeSafetensors } from '../safetensors/write';
import { compare, GPT2_TINY, readExpected, useBackend } from '@repscope/test-support';
import { tempDir } from '@repscope/test-support';

const expected = readExpected(GPT2_TINY);
const tokens = expected.meta['token_ids'] as number[];
const fixtureTensors = (() => {
  const header = readSafetensorsHeader(path.join(GPT2_TINY, 'model.safetensors'));
  return Object.fromEntries([...header.entries.values()].map((e) => [e.name, { shape: e.shape, data: readTensorF32(header, e) }]));
})();

/** A checkpoint folder made from the fixture's tensors, transformed. */
function variant(tensors: Record<string, { shape: number[]; data: Float32Array }>, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): string {
  const dir = tempDir('ckpt-');
  fs.copyFileSync(path.join(GPT2_TINY, 'config.json'), path.join(dir, 'config.json'));
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, dtype);
  return dir;
}

async function logitsDiff(weights: string): Promise<number> {
  const model = await buildGpt2({ kind: 'gpt2', weights, head: true, positionIds: 'sequential' }, 0, () => {});
  try {
    const out = tf.tidy(() => model.forward(model.embed([tokens])));
    const diff = compare(await out.data(), expected.tensors.get('logits')!.data).maxAbsDiff;
    out.dispose();
    return diff;
  } finally {
    model.dispose();
  }
}

async function loadError(weights: string): Promise<string> {
  try {
    (await buildGpt2({ kind: 'gpt2', weights, head: true, positionIds: 'sequential' }, 0, () => {})).dispose();
  } catch (err) {
    return (err as Error).message;
  }
  return 'loaded without error';
}

describe('loading GPT-2 checkpoints', () => {
  beforeAll(() => useBackend('cpu'));

  test('F16 and BF16 checkpoints load and stay close to the F32 reference', async () => {
    expect(await logitsDiff(variant(fixtureTensors, 'F16'))).toBeLessThan(0.05);
    expect(await logitsDiff(variant(fixtureTensors, 'BF16'))).toBeLessThan(0.5);
    expect(await logitsDiff(variant(fixtureTensors, 'F16'))).toBeGreaterThan(0);
  });

  test('a `transformer.` prefix, mask buffers and an explicit lm_head.weight are accepted', async () => {
    const prefixed: typeof fixtureTensors = {};
    for (const [k, v] of Object.entries(fixtureTensors)) prefixed[`transformer.${k}`] = v;
    prefixed['transformer.h.0.attn.bias'] = { shape: [1, 1, 32, 32], data: new Float32Array(32 * 32) };
    prefixed['transformer.h.0.attn.masked_bias'] = { shape: [], data: new Float32Array([-1e4]) };
    prefixed['lm_head.weight'] = fixtureTensors['wte.weight']!;
    expect(await logitsDiff(variant(prefixed))).toBeLessThan(1e-4);
  });

  test('sharded checkpoints (model.safetensors.index.json) load', async () => {
    const dir = tempDir('sharded-');
    fs.copyFileSync(path.join(GPT2_TINY, 'config.json'), path.join(dir, 'config.json'));
    const names = Object.keys(fixtureTensors);
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((group, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, file), Object.fromEntries(group.map((n) => [n, fixtureTensors[n]!])));
      for (const n of group) weightMap[n] = file;
    });
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expect(await logitsDiff(dir)).toBeLessThan(1e-4);
  });

  test('missing, extra and misshapen tensors are all named, with expected and actual shapes', async () => {
    const broken = { ...fixtureTensors };
    delete broken['h.1.mlp.c_fc.bias'];
    broken['h.0.attn.c_proj.weight'] = { shape: [32, 128], data: new Float32Array(32 * 128) };
    broken['h.9.mystery'] = { shape: [2], data: new Float32Array(2) };
    const message = await loadError(variant(broken));
    expect(message).toContain('does not match GPT-2 (2 layers, width 64)');
    expect(message).toContain('missing tensor "h.1.mlp.c_fc.bias" (expected shape [256])');
    expect(message).toContain('tensor "h.0.attn.c_proj.weight" has shape [32, 128], expected [64, 64]');
    expect(message).toContain('unexpected tensor "h.9.mystery" (shape [2])');
  });

  test('truncated and corrupt files give clear errors, never a crash', async () => {
    const bytes = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
    const dir = variant(fixtureTensors);
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
    expect(await loadError(dir)).toMatch(/model\.safetensors: tensor ".*": data_offsets \[\d+, \d+\] fall outside the \d+-byte data section \(truncated file\?\)/);
    fs.writeFileSync(file, bytes.subarray(0, 5));
    expect(await loadError(dir)).toMatch(/truncated: 5 bytes is too short/);
    const bad = Buffer.from(bytes);
    bad.writeBigUInt64LE(BigInt(2) ** BigInt(40), 0);
    fs.writeFileSync(file, bad);
    expect(await loadError(dir)).toMatch(/header length \d+ exceeds/);
    const garbage = Buffer.from(bytes);
    garbage.write('{{{{', 8);
    fs.writeFileSync(file, garbage);
    expect(await loadError(dir)).toMatch(/header is not valid JSON/);
    expect(await loadError(path.join(dir, 'nope'))).toMatch(/no such file or folder/);
  });

  test('a PyTorch .bin checkpoint is named as unsupported with the conversion hint', async () => {
    const dir = tempDir('bin-');
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'pickle');
    fs.copyFileSync(path.join(GPT2_TINY, 'config.json'), path.join(dir, 'config.json'));
    expect(await loadError(dir)).toContain('pytorch_model.bin is a PyTorch pickle, which repscope does not read');
  });
});
