import { checkInputSpace, checkTokenIds, type PluginCheckContext, type PluginIssue } from '@repscope/core';
import type { WalksOptions } from './options';

/** Before the run: the prompt fits the model's positions and vocabulary. */
export function checkWalks({ options: o, model, tokenizer }: PluginCheckContext<WalksOptions>): PluginIssue[] {
  const key = o.input.text !== undefined ? ['input', 'text'] : ['input', 'tokens'];
  const space = checkInputSpace(model, 'embeddings', key);
  if (space.length) return space;
  return checkTokenIds(model, o.input.tokens ?? tokenizer.encode(o.input.text!), key);
}
