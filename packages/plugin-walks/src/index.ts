import { definePlugin, promptTokenIds, untrainedPromptWarning } from '@repscope/core';
import { walksSchema, type WalksOptions } from './options';
import { runClampedWalk } from './run-clamped';
import { runTangentWalk } from './run-tangent';
import { requireTokenModel } from './walk-common';
import { checkWalks } from './check';

export default definePlugin<WalksOptions>({
  name: 'walks',
  version: '0.1.0',
  description: "move the input while a layer's output stays fixed: the seed's tangent (null-space) and clamped walks",
  apiVersion: 1,
  optionsSchema: walksSchema,
  model: { required: true, inputSpaces: ['embeddings'] },
  check: checkWalks,
  example: {
    model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2 } },
    walk: 'clamped',
    input: { tokens: [3, 14, 15] },
    steps: 3,
    clamped: { innerSteps: 2 },
  },
  async run(ctx) {
    const model = requireTokenModel(await ctx.models.create(undefined, { sequenceLength: promptTokenIds(ctx.options.input, ctx.tokenizer).length }));
    const untrained = untrainedPromptWarning(ctx.options.input, model.tokenizer);
    if (untrained) ctx.log(untrained);
    return ctx.options.walk === 'tangent' ? runTangentWalk(ctx, model) : runClampedWalk(ctx, model);
  },
});
