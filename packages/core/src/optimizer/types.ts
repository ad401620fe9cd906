import type * as tf from '@tensorflow/tfjs';
import type { ScheduleSpec } from './schedule';

/** The `optimizer:` block shared by experiments that descend on an input. */
export interface OptimizerSpec {
  kind: string;
  lr: number;
  schedule?: ScheduleSpec;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Steps one variable (the input being optimised) given its gradient; owns its slot tensors. */
export interface Optimizer {
  readonly kind: string;
  /** Learning rate the next step will use. */
  readonly learningRate: number;
  /** Apply one update in place; the gradient is not disposed. */
  step(variable: tf.Variable, gradient: tf.Tensor): void;
  dispose(): void;
}

export interface OptimizerKind {
  name: string;
  description: string;
  create(spec: OptimizerSpec, totalSteps: number, schedule: (step: number, totalSteps: number) => number): Optimizer;
}
