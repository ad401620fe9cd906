import * as tf from '@tensorflow/tfjs';
import type { Optimizer, OptimizerKind, OptimizerSpec } from './types';

type Schedule = (step: number, totalSteps: number) => number;

/**
 * Input optimisers, written against tensors directly (not tf.train) because the seed's
 * schedules change the learning rate every step, and the update must allocate nothing that
 * outlives the step: a 10 000-step run holds a constant number of tensors.
 */
abstract class ScheduledOptimizer implements Optimizer {
  protected stepIndex = 0;

  constructor(
    readonly kind: string,
    private readonly schedule: Schedule,
    private readonly totalSteps: number,
  ) {}

  get learningRate(): number {
    return this.schedule(this.stepIndex, this.totalSteps);
  }

  step(variable: tf.Variable, gradient: tf.Tensor): void {
    const lr = this.learningRate;
    this.stepIndex += 1;
    tf.tidy(() => variable.assign(this.update(variable, gradient, lr)));
  }

  /** The new value of `variable` (inside a tidy scope). */
  protected abstract update(variable: tf.Variable, gradient: tf.Tensor, lr: number): tf.Tensor;

  dispose(): void {}
}

class Sgd extends ScheduledOptimizer {
  protected update(x: tf.Variable, g: tf.Tensor, lr: number): tf.Tensor {
    return tf.sub(x, tf.mul(g, lr));
  }
}

class Momentum extends ScheduledOptimizer {
  private velocity: tf.Tensor | undefined;

  constructor(schedule: Schedule, totalSteps: number, private readonly momentum: number) {
    super('momentum', schedule, totalSteps);
  }

  protected update(x: tf.Variable, g: tf.Tensor, lr: number): tf.Tensor {
    const v = this.velocity ? tf.add(tf.mul(this.velocity, this.momentum), g) : g.clone();
    this.velocity?.dispose();
    this.velocity = tf.keep(v);
    return tf.sub(x, tf.mul(v, lr));
  }

  override dispose(): void {
    this.velocity?.dispose();
    this.velocity = undefined;
  }
}

class Adam extends ScheduledOptimizer {
  private m: tf.Tensor | undefined;
  private v: tf.Tensor | undefined;

  constructor(schedule: Schedule, totalSteps: number, private readonly beta1: number, private readonly beta2: number, private readonly epsilon: number) {
    super('adam', schedule, totalSteps);
  }

  protected update(x: tf.Variable, g: tf.Tensor, lr: number): tf.Tensor {
    const t = this.stepIndex;
    const m = this.m ? tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1);
    const v = this.v ? tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)) : tf.mul(tf.square(g), 1 - this.beta2);
    this.m?.dispose();
    this.v?.dispose();
    this.m = tf.keep(m);
    this.v = tf.keep(v);
    const mHat = tf.div(m, 1 - Math.pow(this.beta1, t));
    const vHat = tf.div(v, 1 - Math.pow(this.beta2, t));
    return tf.sub(x, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), lr));
  }

  override dispose(): void {
    this.m?.dispose();
    this.v?.dispose();
    this.m = this.v = undefined;
  }
}

export const sgdOptimizer: OptimizerKind = {
  name: 'sgd',
  description: 'plain gradient descent x ← x − η·∇ (the seed\'s update)',
  create: (_spec: OptimizerSpec, totalSteps, schedule) => new Sgd('sgd', schedule, totalSteps),
};

export const momentumOptimizer: OptimizerKind = {
  name: 'momentum',
  description: 'gradient descent with momentum (default 0.9)',
  create: (spec, totalSteps, schedule) => new Momentum(schedule, totalSteps, spec.momentum ?? 0.9),
};

export const adamOptimizer: OptimizerKind = {
  name: 'adam',
  description: 'Adam (beta1 0.9, beta2 0.999, epsilon 1e-8 unless set)',
  create: (spec, totalSteps, schedule) => new Adam(schedule, totalSteps, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-8),
};
