import { displayTokens, InvalidInputError, UNKNOWN_TOKEN_TEXT, type InputSpace, type ModelShape, type Tokenizer } from '@repscope/models';
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

const quoted = (pieces: string[]) => pieces.map((p) => JSON.stringify(p)).join(', ');

/**
 * A prompt for a model over a reduced vocabulary (a checkpoint trained here with
 * `vocab: { top: K }`, its vocab-map.json beside it) must be text the vocabulary holds: a token
 * outside it would reach the model as the unknown token, which stands for no text. Refused at
 * `path`; none without such a vocabulary. Tokens a full vocabulary has but the training text
 * never held are only warned about (untrainedPromptWarning): the model can read them.
 */
export function checkPromptVocabulary(model: ModelShape | undefined, input: PromptInput, path: (string | number)[], what = 'the input'): PluginIssue[] {
  const trained = model?.tokenizer?.trained;
  if (!trained || trained.unknown === undefined) return [];
  if (input.tokens !== undefined) {
    const at = input.tokens.indexOf(trained.unknown);
    return at < 0 ? [] : [{ path, message: `token id ${trained.unknown} (position ${at}) is the unknown token of the model's reduced vocabulary (${trained.source}); it stands for no text` }];
  }
  const outside = trained.untrainedPieces(input.text ?? '');
  if (!outside.length) return [];
  return [
    {
      path,
      message: `${what} has token${outside.length > 1 ? 's' : ''} ${quoted(outside)} outside the model's reduced vocabulary (${trained.source}), which the model would read as its unknown token ${UNKNOWN_TOKEN_TEXT}; use text whose tokens all occur in its training text`,
    },
  ];
}

/**
 * One line for the run's log when the prompt has tokens that never occurred in the model's
 * training text (known from a checkpoint trained here: token-counts.json or vocab-map.json):
 * their embedding rows are untrained, so what the model does with them says little.
 */
export function untrainedPromptWarning(input: PromptInput, tokenizer: Tokenizer | undefined, what = 'the input'): string | undefined {
  const trained = tokenizer?.trained;
  if (!trained) return undefined;
  const pieces = input.tokens !== undefined ? displayTokens(input.tokens.filter((id) => trained.count(id) === 0 || id === trained.unknown), tokenizer) : trained.untrainedPieces(input.text ?? '');
  if (!pieces.length) return undefined;
  return `warning: ${what} has token${pieces.length > 1 ? 's' : ''} ${quoted(pieces)} that never occur${pieces.length > 1 ? '' : 's'} in the model's training text (${trained.source}); ${pieces.length > 1 ? 'their embedding rows are' : 'its embedding row is'} untrained`;
}
