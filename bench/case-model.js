/* The model and input shape of one bench case ({model: gpt2 | vit | hybrid, depth, head, batch, tokens}), shared by the timed case and the profiler. */
const { Rng } = require('@repscope/core');
const { createBuiltinRegistries } = require('@repscope/core/testing');

async function caseModel(c) {
  const spec =
    c.model === 'gpt2'
      ? { kind: 'gpt2', size: 'small', depth: c.depth, head: c.head, positionIds: 'sequential' }
      : c.model === 'vit'
        ? { kind: 'vit', size: 'b16', depth: c.depth, head: false }
        : { kind: 'hybrid', vit: {}, gpt2: {}, depth: c.depth, head: false, positionEmbedding: 'none', normalize: 'none' };
  const model = await createBuiltinRegistries().models.get(spec.kind).create(spec, { seed: 0, rng: new Rng(0), log: () => {} });
  const shape = c.model === 'gpt2' ? [c.batch, c.tokens, 768] : [c.batch, 224, 224, 3];
  return { model, shape };
}

module.exports = { caseModel };
