import { checkInputSpace, checkPromptVocabulary, checkTokenIds, promptTokenIds, type ModelShape, type PluginCheckContext, type PluginIssue } from '@repscope/core';
import type { InversionOptions } from './options';
import { priorContext } from './sequential-prior';

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
  if (o.input.tokens === undefined && !tokenizer) return model ? [{ path: key, message: "the model's vocabulary has no known tokenizer; give input.tokens instead" }] : [];
  const ids = promptTokenIds(o.input, tokenizer, key);
  const judge = modelAt(['nextToken', 'judge']);
  return [
    ...checkTokenIds(model, ids, key),
    ...checkPromptVocabulary(model, o.input, key),
    ...(o.nextToken.enabled ? checkTokenIds(judge, ids, key, 'the input (for nextToken.judge)') : []),
    ...(o.method === 'sequential' ? checkPrior(o, model, modelAt(['sequential', 'prior']), ids.length) : []),
  ];
}

/**
 * ranking prior (and auto given sequential.prior): a prior is given, shares the model's
 * vocabulary, and reads its context plus the prefix. Auto's own prior (the model's checkpoint
 * with its head) is not checked here: where it cannot be built, auto ranks without it and the
 * summary says why.
 */
function checkPrior(o: InversionOptions, model: ModelShape | undefined, prior: ModelShape | undefined, length: number): PluginIssue[] {
  const s = o.sequential;
  if (s.ranking !== 'prior' && !(s.ranking === 'auto' && s.prior)) return [];
  if (!s.prior) return [{ path: ['sequential', 'ranking'], message: 'prior needs sequential.prior: a language model with its LM head, e.g. the same weights with head: true' }];
  if (!prior || !model) return [];
  if (prior.vocabSize !== model.vocabSize) return [{ path: ['sequential', 'prior'], message: `the prior's vocabulary (${prior.vocabSize}) is not the model's (${model.vocabSize})` }];
  const context = priorContext(s.priorContext, prior.tokenizer);
  if (!context) return [{ path: ['sequential', 'priorContext'], message: "the prior's tokenizer names no document-start token (BOS or EOS); give the token ids it should read first" }];
  const issues = checkTokenIds(prior, context, ['sequential', 'priorContext'], 'priorContext');
  // The longest input the prior reads: its context and every position but the last.
  const longest = context.length + length - 1;
  if (!issues.length && prior.maxPositions !== undefined && longest > prior.maxPositions) {
    issues.push({ path: ['sequential', 'priorContext'], message: `with the recovered prefix the prior reads ${longest} tokens, but it takes at most ${prior.maxPositions}` });
  }
  return issues;
}
