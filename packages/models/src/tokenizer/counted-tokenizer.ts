import { displayTokens, type Tokenizer } from './gpt2-tokenizer';

/**
 * `base` unchanged, plus how often each token occurred in the text a checkpoint was trained on
 * (its token-counts.json): a model trained here over GPT-2's full vocabulary has untrained rows
 * for every token its text never held, and decoders and prompt checks can now tell which.
 * The name stays the base's: the text still tokenises the same.
 */
export function withTrainingCounts(base: Tokenizer, counts: ReadonlyMap<number, number>, source: string): Tokenizer {
  const count = (id: number) => counts.get(id) ?? 0;
  return {
    ...base,
    trained: {
      source,
      count,
      untrainedPieces: (text) => displayTokens(base.encode(text).filter((id) => count(id) === 0), base),
    },
  };
}
