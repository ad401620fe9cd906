import { decodeText, displayTokens, tf, type Decoder, type Tokenizer } from '@repscope/core';

export interface Snapshot {
  step: number;
  /** Which restart (batch item) this is. */
  restart: number;
  tokens: number[];
  decoded: string;
  /** Per position, the k best tokens: {id, token (visible spaces), score}. */
  topK: { id: number; token: string; score: number }[][];
}

/** Decode every restart of x [K, n, d] at once; returns one snapshot per restart. */
export async function decodeAll(decoder: Decoder, x: tf.Tensor, step: number, topK: number, tokenizer: Tokenizer | undefined): Promise<Snapshot[]> {
  const result = await decoder.decode(x as tf.Tensor3D, topK);
  return result.ids.map((ids, restart) => ({
    step,
    restart,
    tokens: ids,
    decoded: decodeText(ids, tokenizer),
    topK: result.topK[restart]!.map((cands) => {
      const shown = displayTokens(cands.map((c) => c.id), tokenizer);
      return cands.map((c, j) => ({ id: c.id, token: shown[j]!, score: c.score }));
    }),
  }));
}

/** Row k of the seed's top-k listings: the k-th best token at every position, as text. */
export function topKRows(snapshot: Snapshot, tokenizer: Tokenizer | undefined): string[] {
  const k = snapshot.topK[0]?.length ?? 0;
  return Array.from({ length: k }, (_, j) => decodeText(snapshot.topK.map((cands) => cands[j]!.id), tokenizer));
}

export function tokenAccuracy(a: number[], b: number[]): number {
  if (b.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < b.length; i++) if (a[i] === b[i]) same++;
  return same / b.length;
}
