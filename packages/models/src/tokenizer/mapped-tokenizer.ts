import { createHash } from 'node:crypto';
import { displayTokens, type Tokenizer } from './gpt2-tokenizer';

/**
 * How the unknown token of a reduced vocabulary reads in text and tables: visible, and not a
 * character English text holds by accident (Unicode's "double question mark").
 */
export const UNKNOWN_TOKEN_TEXT = '⁇';

/** A reduced vocabulary over a base tokenizer: the `K` tokens kept, then one unknown token (id K). */
export interface VocabMap {
  /** The base tokenizer's id of each reduced id below the unknown one. */
  readonly ids: readonly number[];
  /** Training tokens per reduced id; the last is the unknown's (every token outside `ids`). */
  readonly counts: readonly number[];
}

/**
 * A tokenizer over a reduced vocabulary (plugin-train's `vocab: { top: K }`): the base tokenizer
 * splits the text as before, each base id becomes its reduced id, and an id outside the map
 * becomes the unknown one. Decoding maps back, the unknown showing as ⁇. `source` (the
 * vocab-map.json it was read from, or the run) names it in messages.
 */
export function mappedTokenizer(base: Tokenizer, map: VocabMap, source: string): Tokenizer {
  const unknown = map.ids.length;
  const toReduced = new Int32Array(base.vocabSize).fill(unknown);
  map.ids.forEach((id, r) => (toReduced[id] = r));
  const reduce = (id: number) => (id >= 0 && id < toReduced.length ? toReduced[id]! : unknown);
  const isKept = (id: number) => Number.isInteger(id) && id >= 0 && id < unknown;
  const count = (id: number) => (Number.isInteger(id) && id >= 0 && id <= unknown ? (map.counts[id] ?? 0) : 0);
  const specialTokens: Record<string, number> = {};
  for (const [text, id] of Object.entries(base.specialTokens ?? {})) if (reduce(id) !== unknown) specialTokens[text] = reduce(id);
  const documentStart = base.documentStart !== undefined && reduce(base.documentStart) !== unknown ? reduce(base.documentStart) : undefined;
  // The name keys token caches (plugin-train's data): two maps must never share one.
  const digest = createHash('sha256').update(map.ids.join(',')).digest('hex').slice(0, 12);
  return {
    name: `${base.name} reduced to ${unknown + 1} tokens (${digest})`,
    vocabSize: unknown + 1,
    encode: (text) => base.encode(text).map(reduce),
    decode: (ids) => {
      let out = '';
      let run: number[] = [];
      const flush = () => {
        if (run.length) out += base.decode(run);
        run = [];
      };
      for (const id of ids) {
        if (isKept(id)) run.push(map.ids[id]!);
        else {
          flush();
          out += id === unknown ? UNKNOWN_TOKEN_TEXT : `#${id}`;
        }
      }
      flush();
      return out;
    },
    piece: (id) => {
      if (id === unknown) return UNKNOWN_TOKEN_TEXT;
      if (!isKept(id)) return undefined;
      const baseId = map.ids[id]!;
      return base.piece ? base.piece(baseId) : base.decode([baseId]);
    },
    specialTokens,
    ...(documentStart !== undefined ? { documentStart } : {}),
    trained: {
      source,
      unknown,
      count,
      untrainedPieces: (text) => {
        const ids = base.encode(text).filter((id) => reduce(id) === unknown || count(reduce(id)) === 0);
        return displayTokens(ids, base);
      },
    },
  };
}
