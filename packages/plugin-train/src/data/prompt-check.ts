import { displayTokens, UNKNOWN_TOKEN_TEXT, type Tokenizer } from '@repscope/core';
import type { Dataset } from './dataset';

/**
 * One log line when eval.prompt holds tokens the training text does not teach: outside a
 * reduced vocabulary (the model reads ⁇ there), or, over the full vocabulary, absent from the
 * training split (their rows stay untrained). The sample is then a continuation of something
 * the model never saw; undefined when every token occurs.
 */
export function evalPromptWarning(prompt: string, data: Dataset, base: Tokenizer): string | undefined {
  const pieces = data.vocab ? data.vocab.tokenizer.trained!.untrainedPieces(prompt) : displayTokens(base.encode(prompt).filter((id) => !(data.counts[id]! > 0)), base);
  if (!pieces.length) return undefined;
  const list = pieces.map((p) => JSON.stringify(p)).join(', ');
  const what = `eval.prompt ${JSON.stringify(prompt)} has token${pieces.length > 1 ? 's' : ''} ${list}`;
  return data.vocab
    ? `warning: ${what} outside the reduced vocabulary (the ${data.vocab.map.ids.length} most frequent training tokens); the model reads ${pieces.length > 1 ? 'them' : 'it'} as ${UNKNOWN_TOKEN_TEXT}`
    : `warning: ${what} that never occur${pieces.length > 1 ? '' : 's'} in the training text; the model's ${pieces.length > 1 ? 'rows for them stay' : 'row for it stays'} untrained`;
}
