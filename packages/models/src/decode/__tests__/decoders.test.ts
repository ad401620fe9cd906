import * as tf from '@tensorflow/tfjs';
import { buildGpt2 } from '../../model/gpt2/kind';
import type { TokenModel } from '../../model/types';
import { gpt2Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { nearestCosineDecoder, nearestL2Decoder, pinvDecoder } from '../builtin-decoders';
import { GPT2_TINY, useBackend } from '@repscope/test-support';

const DECODERS = [pinvDecoder, nearestL2Decoder, nearestCosineDecoder];

async function roundTrip(model: TokenModel, ids: number[][]): Promise<number[][][]> {
  const e = model.embed(ids);
  try {
    const out: number[][][] = [];
    for (const kind of DECODERS) {
      const decoder = await kind.create(model);
      try {
        out.push((await decoder.decode(e, 3)).ids);
      } finally {
        decoder.dispose();
      }
    }
    return out;
  } finally {
    e.dispose();
  }
}

describe('embedding → token decoders', () => {
  beforeAll(() => useBackend('wasm'));

  test('recover every token of encoded sentences on untrained GPT-2 small', async () => {
    const model = await buildGpt2({ kind: 'gpt2', size: 'small', depth: 0, head: false, positionIds: 'sequential' }, 0, () => {});
    try {
      const sentences = ['The sky is blue.', 'This is a prompt sentence.', ' Colorless green ideas sleep furiously!', '\n\tcode: x = f(y) + 1;'];
      for (const s of sentences) {
        const ids = gpt2Tokenizer.encode(s);
        expect(await roundTrip(model, [ids])).toEqual(DECODERS.map(() => [ids]));
      }
    } finally {
      model.dispose();
    }
  });

  test('recover every token on the fixture model, in a batch, including rare ids', async () => {
    const model = await buildGpt2({ kind: 'gpt2', weights: GPT2_TINY, head: false, positionIds: 'sequential' }, 0, () => {});
    try {
      const ids = [
        [0, 1, 2, 511, 510, 255, 17, 300],
        [134, 413, 282, 199, 103, 111, 245, 9],
      ];
      expect(await roundTrip(model, ids)).toEqual(DECODERS.map(() => ids));
    } finally {
      model.dispose();
    }
  });

  test('top-k lists k candidates, best first, the true token on top', async () => {
    const model = await buildGpt2({ kind: 'gpt2', weights: GPT2_TINY, head: false, positionIds: 'sequential' }, 0, () => {});
    const e = model.embed([[5, 6, 7]]);
    const decoder = await pinvDecoder.create(model);
    const { topK } = await decoder.decode(e, 4);
    expect(topK[0]!.map((c) => c.map((x) => x.id)[0])).toEqual([5, 6, 7]);
    for (const cands of topK[0]!) {
      expect(cands).toHaveLength(4);
      expect(cands.map((c) => c.score)).toEqual([...cands.map((c) => c.score)].sort((a, b) => b - a));
    }
    decoder.dispose();
    tf.dispose(e);
    model.dispose();
  });
});
