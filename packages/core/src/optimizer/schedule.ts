/** Learning rate as a function of the step (0-based) within a run of `totalSteps`. */
export type LearningRateSchedule = (step: number, totalSteps: number) => number;

export interface ScheduleSpec {
  kind: string;
  /** linear-decay / cosine: final lr as a fraction of the initial lr (seed: 0.1, i.e. η → η/10). */
  finalFraction?: number;
  /** exponential: multiply the lr by this every step. */
  gamma?: number;
}

export interface ScheduleKind {
  name: string;
  description: string;
  create(lr: number, spec: ScheduleSpec): LearningRateSchedule;
}

function progress(step: number, totalSteps: number): number {
  return totalSteps <= 1 ? 0 : Math.min(1, Math.max(0, step / (totalSteps - 1)));
}

export const constantSchedule: ScheduleKind = {
  name: 'constant',
  description: 'the same learning rate every step',
  create: (lr) => () => lr,
};

/** The seed's schedule: η at the first step falling linearly to η·finalFraction at the last. */
export const linearDecaySchedule: ScheduleKind = {
  name: 'linear-decay',
  description: 'linear from lr to lr·finalFraction (default 0.1: the seed\'s η → η/10)',
  create: (lr, spec) => {
    const end = lr * (spec.finalFraction ?? 0.1);
    return (step, total) => lr + (end - lr) * progress(step, total);
  },
};

export const cosineSchedule: ScheduleKind = {
  name: 'cosine',
  description: 'half-cosine from lr to lr·finalFraction (default 0)',
  create: (lr, spec) => {
    const end = lr * (spec.finalFraction ?? 0);
    return (step, total) => end + (lr - end) * 0.5 * (1 + Math.cos(Math.PI * progress(step, total)));
  },
};

export const exponentialSchedule: ScheduleKind = {
  name: 'exponential',
  description: 'lr·gamma^step (gamma default 0.99)',
  create: (lr, spec) => (step) => lr * Math.pow(spec.gamma ?? 0.99, step),
};
