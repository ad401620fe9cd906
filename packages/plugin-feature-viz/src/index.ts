import { definePlugin, InvalidInputError, isImageModel } from '@repscope/core';
import { featureVizSchema, type FeatureVizOptions } from './options';
import { runFeatureViz } from './run-feature-viz';
import { checkFeatureViz } from './check';

export default definePlugin<FeatureVizOptions>({
  name: 'feature-viz',
  version: '0.1.0',
  description: 'optimise input images that maximise a neuron (over all patches), a patch (all neurons) or a direction of a vision model, with jitter/blur/octaves or without',
  apiVersion: 1,
  optionsSchema: featureVizSchema,
  model: { required: true, inputSpaces: ['image'] },
  check: checkFeatureViz,
  example: {
    model: {
      kind: 'hybrid',
      vit: { config: { imageSize: 16, patchSize: 8, hiddenSize: 16, layers: 0, heads: 2, intermediateSize: 32 } },
      gpt2: { config: { vocabSize: 32, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2 } },
      depth: 1,
    },
    panels: { neurons: [0, 1] },
    steps: 3,
  },
  async run(ctx) {
    const model = await ctx.models.create();
    if (!isImageModel(model)) throw new InvalidInputError(`feature-viz needs an image model; "${model.kind}" takes ${model.inputSpace}`, 'E_CONFIG_MODEL');
    return runFeatureViz(ctx, model);
  },
});
