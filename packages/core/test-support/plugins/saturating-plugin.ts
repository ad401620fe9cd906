import { definePlugin, descentStep, optimizerSchema, tf, type OptimizerSpec } from '@repscope/core';

interface SaturatingOptions {
  dim: number;
  steps: number;
  optimizer: OptimizerSpec;
  /** true: steps through core's descentStep (with its divergence guard); false: by hand. */
  useDescentStep: boolean;
}

/** ‖LayerNorm(x) − t‖² per item: bounded whatever x is, so a huge x freezes the loss without any NaN. */
function saturatingObjective(x: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.sum(tf.square(tf.sub(normed, target)), -1) as tf.Tensor1D;
  });
}

/**
 * Test plugin for divergence: the loss goes through a LayerNorm as a transformer's does, so
 * a learning rate of 1e30 blows the input up while the loss stays finite and freezes —
 * the failure that used to end "completed".
 */
const saturatingPlugin = definePlugin<SaturatingOptions>({
  name: 'saturating',
  version: '1.0.0',
  description: 'test plugin: descend through a LayerNorm',
  optionsSchema: (r) => ({
    type: 'object',
    additionalProperties: false,
    properties: {
      dim: { type: 'integer', minimum: 2, maximum: 1000, default: 16 },
      steps: { type: 'integer', minimum: 1, default: 30 },
      useDescentStep: { type: 'boolean', default: true },
      optimizer: optimizerSchema({ kind: 'sgd', lr: 0.05, schedule: 'constant' }, r.optimizers.names(), r.schedules.names()),
    },
  }),
  example: { steps: 5 },
  async run(ctx) {
    const { dim, steps } = ctx.options;
    const target = tf.randomNormal([1, dim], 0, 1, 'float32', ctx.rng.fork('target').tensorSeed());
    const start = tf.randomNormal([1, dim], 0, 1, 'float32', ctx.rng.fork('start').tensorSeed());
    const x = tf.variable(start);
    start.dispose();
    const optimizer = ctx.optimizers.create(ctx.options.optimizer, steps);
    let loss = NaN;
    try {
      for (let step = 0; step < steps; step++) {
        await ctx.checkInterrupted();
        if (ctx.options.useDescentStep) {
          loss = descentStep(x, (input) => saturatingObjective(input, target), optimizer)[0]!;
        } else {
          const { value, grads } = tf.variableGrads(() => tf.sum(saturatingObjective(x, target)) as tf.Scalar, [x]);
          loss = value.dataSync()[0]!;
          optimizer.step(x, grads[x.name]!);
          tf.dispose([value, grads]);
        }
        ctx.metrics.log(step, { loss });
      }
      return { finalLoss: loss };
    } finally {
      x.dispose();
      target.dispose();
    }
  },
});

export default saturatingPlugin;
