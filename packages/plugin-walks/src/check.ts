import { checkInputSpace, checkPromptVocabulary, checkTokenIds, promptTokenIds, type PluginCheckContext, type PluginIssue } from '@repscope/core';
import type { WalksOptions } from './options';

/** Before the run: the prompt fits the model's positions and vocabulary. */
export function checkWalks({ options: o, model, tokenizer }: PluginCheckContext<WalksOptions>): PluginIssue[] {
  const key = o.input.text !== undefined ? ['input', 'text'] : ['input', 'tokens'];
  const space = checkInputSpace(model, 'embeddings', key);
  if (space.length) return space;
  if (!model) return [];
  if (o.input.tokens === undefined && !tokenizer) return [{ path: key, message: "the model's vocabulary has no known tokenizer; give input.tokens instead" }];
  return [...checkTokenIds(model, promptTokenIds(o.input, tokenizer, key), key), ...checkPromptVocabulary(model, o.input, key)];
}
