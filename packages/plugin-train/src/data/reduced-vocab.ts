import { mappedTokenizer, TOKEN_COUNTS_FORMAT, VOCAB_MAP_FORMAT, type Tokenizer, type VocabMap } from '@repscope/core';

/**
 * Training over the most frequent tokens only. With GPT-2's 50,257-row head a 4 × 256 model
 * spends ~79 of ~82 GMAC a step in the head; a corpus like Brown uses 33k distinct tokens, most
 * of them a handful of times, so their rows would barely train anyway. The kept tokens get
 * reduced ids (most frequent first), every other token becomes one unknown token, and the
 * checkpoint carries the map (vocab-map.json) so every plugin reads text through it.
 */
export interface ReducedVocabulary {
  map: VocabMap;
  /** GPT-2's (the base's) tokenizer over the reduced ids. */
  tokenizer: Tokenizer;
  /** Share of the training tokens that became the unknown token. */
  unknownShare: number;
  /** How many tokens were asked for (`vocab.top`). */
  top: number;
}

/** How often each id occurs in `parts` (ids are uint16). */
export function tokenCounts(parts: Uint16Array[]): Float64Array {
  const counts = new Float64Array(65536);
  for (const p of parts) for (const t of p) counts[t]!++;
  return counts;
}

/**
 * The `top` most frequent ids (ties: the lower id first), then the document-start token if
 * the text has it and it is not among them: a model must be able to read the separator its
 * documents start with.
 */
export function keptTokens(counts: Float64Array, top: number, documentStart: number | undefined): number[] {
  const seen: number[] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id]! > 0) seen.push(id);
  seen.sort((a, b) => counts[b]! - counts[a]! || a - b);
  const kept = seen.slice(0, top);
  if (documentStart !== undefined && counts[documentStart]! > 0 && !kept.includes(documentStart)) kept.push(documentStart);
  return kept;
}

/** The training and held-out tokens in reduced ids, and the vocabulary, from the training split's counts. */
export function reduceVocabulary(train: Uint16Array[], heldOut: Uint16Array[], top: number, base: Tokenizer): { train: Uint16Array[]; heldOut: Uint16Array[]; vocab: ReducedVocabulary } {
  const counts = tokenCounts(train);
  const ids = keptTokens(counts, top, base.documentStart);
  const unknown = ids.length;
  const toReduced = new Uint16Array(65536).fill(unknown);
  ids.forEach((id, r) => (toReduced[id] = r));
  const remap = (parts: Uint16Array[]) => parts.map((p) => p.map((t) => toReduced[t]!));
  const reducedTrain = remap(train);
  const total = train.reduce((a, p) => a + p.length, 0);
  const kept = ids.reduce((a, id) => a + counts[id]!, 0);
  const map: VocabMap = { ids, counts: [...ids.map((id) => counts[id]!), total - kept] };
  return {
    train: reducedTrain,
    heldOut: remap(heldOut),
    vocab: { map, tokenizer: mappedTokenizer(base, map, 'the training split'), unknownShare: total ? (total - kept) / total : 0, top },
  };
}

/** vocab-map.json as the loader reads it (packages/models, vocab-files.ts). */
export function vocabMapFile(map: VocabMap, base: Tokenizer): Record<string, unknown> {
  return { format: VOCAB_MAP_FORMAT, tokenizer: base.name, ids: map.ids, unknown: map.ids.length, counts: map.counts };
}

/** token-counts.json: the ids the training split holds, ascending, and how often each occurs. */
export function tokenCountsFile(counts: Float64Array, tokenizer: Tokenizer): Record<string, unknown> {
  const ids: number[] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id]! > 0) ids.push(id);
  return { format: TOKEN_COUNTS_FORMAT, tokenizer: tokenizer.name, ids, counts: ids.map((id) => counts[id]!) };
}
