import { definePlugin, InvalidInputError, isImageModel, isTokenModel, untrainedPromptWarning } from '@repscope/core';
import { inversionSchema, type InversionOptions } from './options';
import { runGradientInversion } from './run-gradient';
import { runImageInversion } from './run-image';
import { runSequentialInversion } from './run-sequential';
import { promptIds } from './token-target';
import { checkInversion } from './check';

export default definePlugin<InversionOptions>({
  name: 'inversion',
  version: '0.1.0',
  description: "reconstruct a layer's input from its output: the seed's gradient descent on the input embedding (or image), and exact sequential recovery",
  apiVersion: 1,
  optionsSchema: inversionSchema,
  model: { required: true },
  check: checkInversion,
  example: {
    model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2 }, depth: 1, head: true },
    input: { tokens: [3, 14, 15, 9] },
    steps: 5,
    optimizer: { lr: 0.5 },
    decode: { at: [2] },
  },
  async run(ctx) {
    const model = await ctx.models.create(undefined, ctx.options.input.image ? {} : { sequenceLength: promptIds(ctx.options, ctx.tokenizer).length });
    if (ctx.options.input.image !== undefined) {
      if (!isImageModel(model)) throw new InvalidInputError(`input.image needs an image model (vit, hybrid); "${model.kind}" takes ${model.inputSpace}`, 'E_CONFIG_MODEL');
      if (ctx.options.method !== 'gradient') throw new InvalidInputError('method: images are inverted with method gradient', 'E_CONFIG');
      return runImageInversion(ctx, model);
    }
    if (!isTokenModel(model)) throw new InvalidInputError(`input.text/tokens need a model over token embeddings; "${model.kind}" takes ${model.inputSpace}`, 'E_CONFIG_MODEL');
    const untrained = untrainedPromptWarning(ctx.options.input, model.tokenizer);
    if (untrained) ctx.log(untrained);
    return ctx.options.method === 'sequential' ? runSequentialInversion(ctx, model) : runGradientInversion(ctx, model);
  },
});
