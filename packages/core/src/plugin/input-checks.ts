import { InvalidInputError, type InputSpace, type ModelShape, type Tokenizer } from '@repscope/models';
import type { PluginIssue } from './types';

/**
 * Checks most plugins' `check` needs, shared so that every plugin words them alike. Each
 * returns issues about `path` (the option holding the input) and none when `model` is
 * unknown (a kind without `resolve`): the run then checks as it builds.
 */

const SPACE_NAMES: Record<InputSpace, string> = { embeddings: 'tokens (text or token ids)', image: 'an image' };

/** The input at `path` needs a model taking `space`. */
export function checkInputSpace(model: ModelShape | undefined, space: InputSpace, path: (string | number)[]): PluginIssue[] {
  if (!model || model.inputSpace === space) return [];
  return [{ path, message: `needs a model taking ${SPACE_NAMES[space]}, but model kind "${model.kind}" takes ${SPACE_NAMES[model.inputSpace]}` }];
}

/** Token ids at `path` must fit the model: at most maxPositions of them, each below vocabSize. */
export function checkTokenIds(model: ModelShape | undefined, ids: number[], path: (string | number)[], what = 'the input'): PluginIssue[] {
  if (!model || model.inputSpace !== 'embeddings') return [];
  const issues: PluginIssue[] = [];
  if (model.maxPositions !== undefined && ids.length > model.maxPositions) {
    issues.push({ path, message: `${what} is ${ids.length} tokens long, but the model takes at most ${model.maxPositions}` });
  }
  if (model.vocabSize !== undefined) {
    const bad = ids.findIndex((id) => id >= model.vocabSize!);
    if (bad >= 0) issues.push({ path, message: `token id ${ids[bad]} (position ${bad}) is outside the model's vocabulary of ${model.vocabSize}` });
  }
  return issues;
}

/** A prompt as configs give it: `text` (tokenized by the model's tokenizer) or token ids. */
export interface PromptInput {
  text?: string;
  tokens?: number[];
}

/**
 * The prompt's token ids: `tokens` as given, or `text` through the model's tokenizer (ctx.tokenizer
 * in `run`, the check context's in `check`). Text for a model without a tokenizer is an
 * InvalidInputError naming `key`.
 */
export function promptTokenIds(input: PromptInput, tokenizer: Tokenizer | undefined, key: (string | number)[] = ['input', 'text']): number[] {
  if (input.tokens !== undefined) return input.tokens;
  if (!tokenizer) throw new InvalidInputError(`${key.join('.')}: the model's vocabulary has no known tokenizer; give token ids instead`, 'E_CONFIG_MODEL');
  return tokenizer.encode(input.text ?? '');
}
