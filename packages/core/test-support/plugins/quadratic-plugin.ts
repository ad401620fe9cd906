import { definePlugin, optimizerSchema, tf, type OptimizerSpec } from '@repscope/core';

interface QuadraticOptions {
  dim: number;
  steps: number;
  optimizer: OptimizerSpec;
  stepDelayMs: number;
  failAt?: number;
  registerMetric?: string;
}

/**
 * Test plugin: descend ‖x − t‖² from a seeded random start. Small, but it exercises the same
 * services a real experiment uses (rng, optimizer, metric, metrics log, artifacts, report).
 */
const quadraticPlugin = definePlugin<QuadraticOptions>({
  name: 'quadratic',
  version: '1.0.0',
  description: 'test plugin: minimise a quadratic',
  optionsSchema: (r) => ({
    type: 'object',
    additionalProperties: false,
    properties: {
      dim: { type: 'integer', minimum: 1, maximum: 1000, default: 8 },
      steps: { type: 'integer', minimum: 1, default: 20 },
      stepDelayMs: { type: 'integer', minimum: 0, default: 0 },
      failAt: { type: 'integer', minimum: 0 },
      registerMetric: { type: 'string' },
      optimizer: optimizerSchema({ kind: 'sgd', lr: 0.1, schedule: 'linear-decay' }, r.optimizers.names(), r.schedules.names()),
    },
  }),
  example: { steps: 5 },
  async run(ctx) {
    const { dim, steps, optimizer: spec } = ctx.options;
    const target = tf.randomNormal([1, dim], 0, 1, 'float32', ctx.rng.fork('target').tensorSeed());
    const start = tf.randomNormal([1, dim], 0, 1, 'float32', ctx.rng.fork('start').tensorSeed());
    const x = tf.variable(start);
    start.dispose();
    const optimizer = ctx.optimizers.create(spec, steps);
    const metric = ctx.registries.metrics.get('sq-l2');
    ctx.progress.start(steps, 'descent');
    let loss = NaN;
    try {
      for (let step = 0; step < steps; step++) {
        await ctx.checkInterrupted();
        if (ctx.options.stepDelayMs > 0) await new Promise((r) => setTimeout(r, ctx.options.stepDelayMs));
        if (ctx.options.failAt === step) throw new Error(`planned failure at step ${step}`);
        const lr = optimizer.learningRate;
        const { value, grads } = tf.variableGrads(() => tf.sum(metric.perItem(x, target)) as tf.Scalar, [x]);
        loss = (await value.data())[0]!;
        optimizer.step(x, grads[x.name]!);
        value.dispose();
        tf.dispose(grads);
        ctx.metrics.log(step, { loss, lr, tensors: tf.memory().numTensors });
      }
      const final = Array.from(await x.data());
      ctx.artifacts.writeJson('solution.json', final, 'the optimised vector');
      ctx.report.addTable('solution', ['i', 'x'], final.map((v, i) => [i, v]));
      return { steps, finalLoss: loss };
    } finally {
      x.dispose();
      target.dispose();
    }
  },
});

export default quadraticPlugin;
