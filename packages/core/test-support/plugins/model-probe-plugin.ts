import { checkTokenIds, definePlugin } from '@repscope/core';

interface ProbeOptions {
  tokens: number[];
}

/**
 * Test plugin: builds its `model:` block and embeds a few tokens. It exercises the model
 * pipeline end to end (pre-run shape check, Plugin.check, checkpoint loading) and nothing else.
 */
const modelProbePlugin = definePlugin<ProbeOptions>({
  name: 'model-probe',
  version: '1.0.0',
  description: 'test plugin: build the model and embed tokens',
  model: { required: true, inputSpaces: ['embeddings'] },
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { tokens: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, default: [1, 2, 3] } },
  },
  check: ({ options, model }) => checkTokenIds(model, options.tokens, ['tokens']),
  async run(ctx) {
    const model = await ctx.models.create();
    return { parameters: model.parameterCount() };
  },
});

export default modelProbePlugin;
