import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { GPT2_TINY, VIT_TINY } from '@repscope/test-support';
import { tempDir } from '../../../test-support/plugin-packages';
import { fcnetKind } from '@repscope/models';
import { gpt2Kind } from '@repscope/models';
import { hybridKind } from '@repscope/models';
import { ModelCheckError } from '@repscope/models';
import type { ModelKind, ModelSpec } from '@repscope/models';
import { vitKind } from '@repscope/models';

/** ModelKind.resolve: every way a block cannot be built, named by its key, without reading a tensor. */

function failure(kind: ModelKind<never>, spec: Record<string, unknown>): { key: string; detail: string } {
  try {
    kind.resolve!(spec as never);
  } catch (err) {
    if (!(err instanceof ModelCheckError)) throw err;
    return { key: err.key.join('.'), detail: err.detail };
  }
  throw new Error('resolved');
}

function variantOf(fixture: string, edit: (config: Record<string, unknown>) => void, extra: Record<string, string> = {}): string {
  const dir = tempDir('resolve-');
  fs.copyFileSync(path.join(fixture, 'model.safetensors'), path.join(dir, 'model.safetensors'));
  const config = JSON.parse(fs.readFileSync(path.join(fixture, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(config);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  for (const [file, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const vit = (spec: Record<string, unknown>) => ({ kind: 'vit', head: false, ...spec });
const gpt2 = (spec: Record<string, unknown>) => ({ kind: 'gpt2', head: false, positionIds: 'sequential', ...spec });
const hybrid = (spec: Record<string, unknown>) => ({ kind: 'hybrid', head: false, positionEmbedding: 'none', normalize: 'none', vit: {}, gpt2: {}, ...spec });

describe('resolving model shapes before a run', () => {
  test('checkpoints resolve to their shapes from headers', () => {
    expect(gpt2Kind.resolve!(gpt2({ weights: GPT2_TINY, depth: 1 }) as ModelSpec as never)).toMatchObject({ inputSpace: 'embeddings', dModel: 64, depth: 1, layers: 2, vocabSize: 512, maxPositions: 32 });
    expect(vitKind.resolve!(vit({ weights: VIT_TINY }) as never)).toMatchObject({ inputSpace: 'image', dModel: 48, depth: 2, imageSize: 32, patchSize: 8, sequenceLength: 17 });
  });

  test('ViT config.json bombs and contradictions name the file and key', () => {
    expect(failure(vitKind as never, vit({ weights: variantOf(VIT_TINY, (c) => (c['hidden_size'] = 1e9)) }))).toEqual({ key: 'weights', detail: expect.stringMatching(/config\.json "hidden_size" is 1000000000, outside the supported range 1…65536$/) });
    expect(failure(vitKind as never, vit({ weights: variantOf(VIT_TINY, (c) => (c['id2label'] = [1])) }))).toEqual({ key: 'weights', detail: expect.stringMatching(/"id2label" must be an object$/) });
    const badPre = variantOf(VIT_TINY, () => {}, { 'preprocessor_config.json': JSON.stringify({ image_mean: [0.5], image_std: [0.5, 0.5, 0.5] }) });
    expect(failure(vitKind as never, vit({ weights: badPre }))).toEqual({ key: 'weights', detail: expect.stringMatching(/"image_mean" must be 3 finite numbers, one per channel/) });
    expect(failure(vitKind as never, vit({ weights: variantOf(VIT_TINY, (c) => (c['num_attention_heads'] = 5)) }))).toEqual({ key: 'weights', detail: 'hiddenSize 48 is not divisible by heads 5' });
    expect(failure(vitKind as never, vit({ config: { imageSize: 30, patchSize: 8 } }))).toEqual({ key: 'config.patchSize', detail: 'imageSize 30 is not a multiple of patchSize 8' });
    expect(failure(vitKind as never, vit({ weights: VIT_TINY, depth: 3 }))).toEqual({ key: 'depth', detail: 'must be <= 2 (the model has 2 blocks; got 3)' });
  });

  test('hybrid errors point into the half at fault', () => {
    expect(failure(hybridKind as never, hybrid({ gpt2: { config: { nHead: 7 } } }))).toEqual({ key: 'gpt2.config.nHead', detail: 'nEmbd (768) must be divisible by nHead (7)' });
    expect(failure(hybridKind as never, hybrid({ vit: { weights: path.join(VIT_TINY, 'nope') } }))).toEqual({ key: 'vit.weights', detail: expect.stringMatching(/nope: no such file or folder$/) });
    expect(failure(hybridKind as never, hybrid({ gpt2: { size: 'medium' } }))).toEqual({ key: '', detail: expect.stringMatching(/the ViT stem is 768 wide but the GPT-2 stack is 1024/) });
    expect(failure(hybridKind as never, hybrid({ depth: 13 }))).toEqual({ key: 'depth', detail: 'must be <= 12 (the GPT-2 stack has 12 blocks; got 13)' });
  });

  test('a flattened fcnet too large for memory is refused at sequenceLength, before allocating', () => {
    const spec = { kind: 'fcnet', head: false, positionIds: 'sequential', hiddenMultiplier: 4, embeddings: { config: { nPositions: 65536 } }, sequenceLength: 65536 };
    const { key, detail } = failure(fcnetKind as never, spec);
    expect(key).toBe('sequenceLength');
    expect(detail).toMatch(/^fcnet \(50331648 → 201326592 → 201326592\) needs about [\d.]+ PiB for [\d.]+ (B|T) float32 parameters, but this machine has/);
  });

  test('activations: a checkpoint reaching outside its folder exits 2 naming the entry', async () => {
    const dir = tempDir('activations-');
    const ckpt = path.join(dir, 'ckpt');
    fs.mkdirSync(ckpt);
    fs.copyFileSync(path.join(GPT2_TINY, 'config.json'), path.join(ckpt, 'config.json'));
    fs.writeFileSync(path.join(ckpt, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'wte.weight': '../../../../etc/passwd' } }));
    let stderr = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await main(['activations', '--model', 'gpt2', '--weights', ckpt, '--tokens', '1,2', '--out', path.join(dir, 'a.safetensors')]).finally(() => spy.mockRestore());
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^model\.weights: \S+model\.safetensors\.index\.json: weight_map\["wte\.weight"\]: "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" points outside the checkpoint folder/);
    expect(fs.existsSync(path.join(dir, 'a.safetensors'))).toBe(false);
  });
});
