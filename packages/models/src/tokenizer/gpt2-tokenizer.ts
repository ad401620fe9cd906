import { decode as r50kDecode, encode as r50kEncode } from 'gpt-tokenizer/cjs/encoding/r50k_base';
import r50kRanks from 'gpt-tokenizer/cjs/bpeRanks/r50k_base';

/** GPT-2's byte-level BPE (r50k_base), from the maintained `gpt-tokenizer` package. */
export interface Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** What one token stands for: its text, or its raw bytes when they are not whole UTF-8 characters. */
  piece?(id: number): string | readonly number[] | undefined;
  /** Control tokens by their text, e.g. `{ '<|endoftext|>': 50256 }`. */
  readonly specialTokens?: Readonly<Record<string, number>>;
  /** The token a document starts with in training (BOS, or GPT-2's <|endoftext|> separator): what a language model reads before text. */
  readonly documentStart?: number;
  /**
   * Which tokens the model was trained on, where its checkpoint says (a vocab-map.json or
   * token-counts.json that plugin-train writes beside config.json); undefined when unknown.
   */
  readonly trained?: TrainingVocabulary;
}

/** What a checkpoint records of the text it was trained on, token by token. */
export interface TrainingVocabulary {
  /** The file it was read from, for messages. */
  readonly source: string;
  /** A reduced vocabulary's unknown token: text outside the vocabulary encodes to it. */
  readonly unknown?: number;
  /** How often token `id` occurs in the training text (0: never, so its embedding row is untrained). */
  count(id: number): number;
  /**
   * The pieces of `text` the model never trained on, as table cells (see displayToken): tokens
   * outside a reduced vocabulary, or absent from the training text. Empty when all occur.
   */
  untrainedPieces(text: string): string[];
}

const END_OF_TEXT = '<|endoftext|>';

/**
 * As Hugging Face's GPT-2 tokenizer does, `<|endoftext|>` in the text is the special token
 * (50256) and the text around it is tokenised on its own (gpt-tokenizer refuses it by default,
 * and its allowedSpecial option does not take for r50k).
 */
function encodeWithSpecial(text: string): number[] {
  return text.split(END_OF_TEXT).flatMap((part, i) => (i > 0 ? [50256, ...r50kEncode(part)] : r50kEncode(part)));
}

export const gpt2Tokenizer: Tokenizer = {
  name: 'gpt2 (r50k_base)',
  vocabSize: 50257,
  encode: encodeWithSpecial,
  decode: (ids) => r50kDecode(ids),
  piece: (id) => r50kRanks[id],
  specialTokens: { '<|endoftext|>': 50256 },
  documentStart: 50256,
};

/** The tokenizer of a GPT-2-family vocabulary of this size: r50k for GPT-2's own 50,257 tokens, none for a custom vocabulary. */
export function gpt2FamilyTokenizer(vocabSize: number): Tokenizer | undefined {
  return vocabSize === gpt2Tokenizer.vocabSize ? gpt2Tokenizer : undefined;
}

/**
 * A token as a table cell: spaces become "␣", newlines "↵", tabs "⇥", so " sky" and "sky"
 * look different; other control characters show as ⟨0xNN⟩ instead of nothing or a box.
 */
export function displayToken(text: string): string {
  return text
    .replace(/ /g, '␣')
    .replace(/\n/g, '↵')
    .replace(/\t/g, '⇥')
    .replace(/\r/g, '␍')
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `⟨0x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}⟩`);
}

/** Raw bytes (a piece of a multi-byte character, or not UTF-8 at all) as ⟨0xNN⟩ each. */
export function displayBytes(bytes: readonly number[]): string {
  return bytes.map((b) => `⟨0x${b.toString(16).toUpperCase().padStart(2, '0')}⟩`).join('');
}

/** One cell per token id, for tables: byte-level tokens that are not text show their bytes. */
export function displayTokens(ids: number[], tokenizer: Tokenizer | undefined): string[] {
  return ids.map((id) => {
    if (!tokenizer || id >= tokenizer.vocabSize) return `#${id}`;
    const piece = tokenizer.piece?.(id);
    if (piece === undefined) return displayToken(tokenizer.decode([id]));
    return typeof piece === 'string' ? displayToken(piece) : displayBytes(piece);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Bytes as text, with every byte that is not part of a valid UTF-8 character shown as ⟨0xNN⟩. */
export function bytesToDisplayText(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes[i]!);
    if (n > 0 && i + n <= bytes.length) {
      try {
        out += utf8.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        /* not a valid character: shown as a byte below */
      }
    }
    out += displayBytes([bytes[i]!]);
    i += 1;
  }
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return out.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => displayBytes([c.charCodeAt(0)]));
}

/**
 * Whole-sequence text (ids outside the tokenizer's vocabulary shown as #id). Bytes that do not
 * form UTF-8 characters show as ⟨0xNN⟩ rather than "�", so two different byte tokens never look alike.
 */
export function decodeText(ids: number[], tokenizer: Tokenizer | undefined): string {
  if (!tokenizer || ids.some((id) => id >= tokenizer.vocabSize)) return ids.map((id) => `#${id}`).join(' ');
  if (!tokenizer.piece) return tokenizer.decode(ids);
  const parts: number[] = [];
  for (const id of ids) {
    const piece = tokenizer.piece(id);
    const bytes = piece === undefined ? utf8Encoder.encode(tokenizer.decode([id])) : typeof piece === 'string' ? utf8Encoder.encode(piece) : piece;
    for (const b of bytes) parts.push(b);
  }
  return bytesToDisplayText(Uint8Array.from(parts));
}
