// An example repscope plugin, written from docs/authoring-plugins.md. Plain CommonJS with no
// dependencies: everything it needs (TensorFlow.js, models, decoders, the run directory)
// arrives in the run context.

/** @type {import('@repscope/core').Plugin<{input: {text?: string, tokens?: number[]}, decoder: string, topK: number}>} */
module.exports = {
  name: 'logit-lens',
  version: '1.0.0',
  description: "decode every layer's residual stream back to tokens (a 'logit lens' through W⁺) and measure its size",

  // The plugin's own top-level config keys. Core validates them (with these defaults) before
  // anything runs; additionalProperties: false turns typos into errors with suggestions.
  optionsSchema: (registries) => ({
    type: 'object',
    additionalProperties: false,
    required: ['input'],
    properties: {
      input: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        description: 'exactly one of text (read by the model\'s tokenizer) or tokens (ids)',
        properties: {
          text: { type: 'string', minLength: 1 },
          tokens: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
        },
      },
      decoder: { type: 'string', enum: registries.decoders.names(), default: 'pinv' },
      topK: { type: 'integer', minimum: 1, maximum: 20, default: 3 },
    },
  }),

  // The experiment needs a model: block whose model takes token embeddings.
  model: { required: true, inputSpaces: ['embeddings'] },

  // A config that runs in seconds; the conformance kit runs it.
  example: {
    model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2 } },
    input: { tokens: [1, 2, 3] },
  },

  async run(ctx) {
    const { tf, options } = ctx;
    const model = await ctx.models.create(); // the config's model: block; disposed by core
    // Text goes through the model's own tokenizer; a model without one (a custom vocabulary) needs ids.
    if (!options.input.tokens && !ctx.tokenizer) throw new Error("input.text: this model's vocabulary has no tokenizer; give input.tokens");
    const ids = options.input.tokens ?? ctx.tokenizer.encode(options.input.text);
    const input = model.embed([ids]);
    const layers = model.hookPoints().filter((h) => h === 'blocks.0.hook_resid_pre' || h.endsWith('.hook_resid_post'));
    const { output, cache } = model.runWithCache(input, layers);
    const rows = [];
    const decoder = await ctx.registries.decoders.get(options.decoder).create(model);
    try {
      ctx.progress.start(layers.length, 'layers');
      // x is a layer (0 = the embedding), drawn as categories rather than a continuous scale
      ctx.metrics.describe({ x: { title: 'layer (0 = embedding)', categorical: true } });
      for (const [step, hook] of layers.entries()) {
        await ctx.checkInterrupted();
        const residual = cache[hook];
        // tensors are read with `await t.data()`: the webgpu backend cannot read synchronously
        const norm = tf.tidy(() => tf.mean(tf.norm(residual, 'euclidean', -1)));
        const meanNorm = (await norm.data())[0];
        norm.dispose();
        const decoded = (await decoder.decode(residual, options.topK)).ids[0];
        const kept = decoded.filter((id, i) => id === ids[i]).length / ids.length;
        ctx.metrics.log(step, { meanNorm, tokensKept: kept });
        rows.push({ layer: hook, meanNorm, tokensKept: kept, decoded });
      }
    } finally {
      decoder.dispose();
      tf.dispose([input, output, ...Object.values(cache)]);
    }
    ctx.artifacts.writeJson('layers.json', rows, 'per layer: mean residual norm and the decoded tokens');
    ctx.report.addTable('Layers', ['hook', 'mean ‖x‖', 'tokens kept', 'decoded ids'], rows.map((r) => [r.layer, r.meanNorm, r.tokensKept, r.decoded.join(' ')]));
    const last = rows[rows.length - 1];
    // The answer first: report.html opens with it, above the summary table.
    ctx.report.setHeadline({
      answer: `${Math.round(last.tokensKept * ids.length)} of ${ids.length} tokens decode back from the last layer`,
      facts: rows.map((r) => ({ label: r.layer, value: r.tokensKept })),
    });
    return { layers: rows.length, finalMeanNorm: last.meanNorm, finalTokensKept: last.tokensKept, inputTokens: ids.length };
  },
};
