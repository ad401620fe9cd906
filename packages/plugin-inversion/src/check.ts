import { checkInputSpace, checkTokenIds, type ModelShape, type PluginCheckContext, type PluginIssue } from '@repscope/core';
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
  return [
    ...checkTokenIds(model, ids, key),
    ...(o.nextToken.enabled ? checkTokenIds(judge, ids, key, 'the input (for nextToken.judge)') : []),
    ...(o.method === 'sequential' ? checkPrior(o, model, modelAt(['sequential', 'prior']), ids.length) : []),
  ];
}

/** ranking prior: a prior is given, shares the model's vocabulary, and reads its context plus the prefix. */
function checkPrior(o: InversionOptions, model: ModelShape | undefined, prior: ModelShape | undefined, length: number): PluginIssue[] {
  const s = o.sequential;
  if (s.ranking !== 'prior') return [];
  if (!s.prior) return [{ path: ['sequential', 'ranking'], message: 'prior needs sequential.prior: a language model with its LM head, e.g. the same weights with head: true' }];
  if (!prior || !model) return [];
  if (prior.vocabSize !== model.vocabSize) return [{ path: ['sequential', 'prior'], message: `the prior's vocabulary (${prior.vocabSize}) is not the model's (${model.vocabSize})` }];
  const issues = checkTokenIds(prior, s.priorContext, ['sequential', 'priorContext'], 'priorContext');
  // The longest input the prior reads: its context and every position but the last.
  return issues.length ? issues : checkTokenIds(prior, [...s.priorContext, ...new Array<number>(Math.max(0, length - 1)).fill(0)], ['sequential', 'priorContext'], 'priorContext with the recovered prefix');
}
