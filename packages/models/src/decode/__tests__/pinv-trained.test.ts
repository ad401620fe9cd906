import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GPT2_TINY, tempDir, TEST_BACKENDS, useBackend } from '@repscope/test-support';
import type { BackendChoice } from '../../backend/select-backend';
import { loadModel } from '../../load-model';
import { gpt2Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { VOCAB_MAP_FORMAT } from '../../model/checkpoint/vocab-files';
import { isTokenModel, type TokenModel } from '../../model/types';
import { pinvDecoder, pinvTrainedDecoder } from '../builtin-decoders';

/**
 * The fixture's 512 rows as a reduced vocabulary: 511 GPT-2 tokens and the unknown (511). Ids
 * 400–510 have count 0 (in the map, never in the training text), so they are untrained too.
 */
const IDS: number[] = [];
for (let id = 1000; IDS.length < 511; id++) IDS.push(id);
const COUNTS = [...IDS.map((_, i) => (i < 400 ? 5 : 0)), 9];
const untrained = (id: number) => id === 511 || id >= 400;

async function load(dir: string, backend: BackendChoice): Promise<TokenModel> {
  const model = await loadModel({ kind: 'gpt2', weights: dir, depth: 1 }, { backend });
  if (!isTokenModel(model)) throw new Error('not a token model');
  return model;
}

function folder(withMap: boolean): string {
  const dir = tempDir('pinv-trained-');
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(GPT2_TINY, f), path.join(dir, f));
  if (withMap) fs.writeFileSync(path.join(dir, 'vocab-map.json'), JSON.stringify({ format: VOCAB_MAP_FORMAT, tokenizer: gpt2Tokenizer.name, ids: IDS, unknown: 511, counts: COUNTS }));
  return dir;
}

// The cpu backend ranks in a host loop, the others with tf.topk: both must honour the mask.
describe.each(TEST_BACKENDS)('pinv-trained on %s: the pseudo-inverse over the tokens the model was trained on', (backend) => {
  beforeAll(() => useBackend(backend));

  test('never returns the unknown token or an untrained one, and agrees with pinv wherever pinv returns a trained token', async () => {
    const model = await load(folder(true), backend);
    const plain = await pinvDecoder.create(model);
    const masked = await pinvTrainedDecoder.create(model);
    try {
      expect(masked.name).toBe('pinv-trained');
      // Embeddings of every token (trained ones decode to themselves) plus noise around them and pure noise.
      // 512 ids as 16 sequences of the fixture's 32 positions.
      const ids = Array.from({ length: 16 }, (_, r) => Array.from({ length: 32 }, (_, t) => r * 32 + t));
      const exact = model.embed(ids);
      const noisy = tf.tidy(() => tf.add(model.embed(ids), tf.randomNormal([16, 32, model.dModel], 0, 0.05, 'float32', 7)) as tf.Tensor3D);
      const random = tf.randomNormal([4, 32, model.dModel], 0, 1, 'float32', 3) as tf.Tensor3D;
      let agreed = 0;
      let differed = 0;
      for (const x of [exact, noisy, random]) {
        const [p, m] = [await plain.decode(x, 5), await masked.decode(x, 5)];
        m.ids.forEach((row, b) =>
          row.forEach((id, t) => {
            expect(untrained(id)).toBe(false);
            for (const c of m.topK[b]![t]!) expect(untrained(c.id)).toBe(false);
            const plainId = p.ids[b]![t]!;
            if (!untrained(plainId)) {
              expect(id).toBe(plainId);
              expect(m.topK[b]![t]![0]!.score).toBeCloseTo(p.topK[b]![t]![0]!.score, 4);
              agreed++;
            } else differed++;
          }),
        );
      }
      const decodedExact = (await masked.decode(exact)).ids.flat();
      expect(decodedExact.slice(0, 400)).toEqual(ids.flat().slice(0, 400));
      // Both kinds of position occurred, so both halves of the claim were exercised.
      expect(agreed).toBeGreaterThan(100);
      expect(differed).toBeGreaterThan(50);
      tf.dispose([exact, noisy, random]);
    } finally {
      plain.dispose();
      masked.dispose();
      model.dispose();
    }
  });

  test('a model that does not record its training tokens is refused, naming the key', async () => {
    const model = await load(folder(false), backend);
    try {
      await expect(pinvTrainedDecoder.create(model)).rejects.toThrow(/^decode\.decoder: pinv-trained needs to know which tokens the model was trained on, from a vocab-map\.json or token-counts\.json/);
    } finally {
      model.dispose();
    }
  });
});
