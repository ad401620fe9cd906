import { checkInputSpace, checkTokenIds, type PluginCheckContext, type PluginIssue } from '@repscope/core';
import type { InversionOptions } from './options';

/** Before the run: the input fits the model (space, length, vocabulary), and image depths exist. */
export function checkInversion({ options: o, model, modelAt, tokenizer }: PluginCheckContext<InversionOptions>): PluginIssue[] {
  if (o.input.image !== undefined) {
    const issues = checkInputSpace(model, 'image', ['input', 'image']);
    if (o.method !== 'gradient') issues.push({ path: ['method'], message: 'images are inverted with method gradient' });
    if (model && !issues.length) {
      (o.image.depths ?? []).forEach((d, i) => {
        if (d > model.depth) issues.push({ path: ['image', 'depths', i], message: `the model keeps ${model.depth} block(s); depth ${d} does not exist` });
      });
    }
    return issues;
  }
  const key = o.input.text !== undefined ? ['input', 'text'] : ['input', 'tokens'];
  const space = checkInputSpace(model, 'embeddings', key);
  if (space.length) return space;
  const ids = o.input.tokens ?? tokenizer.encode(o.input.text!);
  const judge = modelAt(['nextToken', 'judge']);
  return [...checkTokenIds(model, ids, key), ...(o.nextToken.enabled ? checkTokenIds(judge, ids, key, 'the input (for nextToken.judge)') : [])];
}
