import { decode as r50kDecode, encode as r50kEncode } from 'gpt-tokenizer/cjs/encoding/r50k_base';

/** GPT-2's byte-level BPE (r50k_base), from the maintained `gpt-tokenizer` package. */
export interface Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: number[]): string;
}

export const gpt2Tokenizer: Tokenizer = {
  name: 'gpt2 (r50k_base)',
  vocabSize: 50257,
  encode: (text) => r50kEncode(text),
  decode: (ids) => r50kDecode(ids),
};

/** GPT-2's tokenizer for models over its vocabulary; undefined otherwise (tables then show #id). */
export function tokenizerFor(model: { vocabSize: number }): Tokenizer | undefined {
  return model.vocabSize === gpt2Tokenizer.vocabSize ? gpt2Tokenizer : undefined;
}

/**
 * A token as a table cell: leading/trailing spaces become "␣", newlines "↵", tabs "⇥", so
 * " sky" and "sky" look different. Bytes that are only part of a UTF-8 character show as "�".
 */
export function displayToken(text: string): string {
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍');
}

/** One cell per token id, for tables. */
export function displayTokens(ids: number[], tokenizer: Tokenizer | undefined): string[] {
  return ids.map((id) => (tokenizer && id < tokenizer.vocabSize ? displayToken(tokenizer.decode([id])) : `#${id}`));
}

/** Whole-sequence text (ids outside the tokenizer's vocabulary shown as #id). */
export function decodeText(ids: number[], tokenizer: Tokenizer | undefined): string {
  if (!tokenizer || ids.some((id) => id >= tokenizer.vocabSize)) return ids.map((id) => `#${id}`).join(' ');
  return tokenizer.decode(ids);
}
