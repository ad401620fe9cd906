// The two ways a run stops early that plugins and optimizers raise: the lowest layer owns them.

const DEFAULT_DIVERGENCE_HINT = 'Lower the learning rate or change the loss scale.';

/**
 * The optimisation left the region where its numbers mean anything: a loss, input or
 * gradient became NaN/Inf, the input grew far beyond its starting scale, or the loss froze.
 * The run stops (or ends) as diverged and its summary records where.
 */
export class RunDivergedError extends Error {
  readonly code = 'E_RUN_DIVERGED';
  constructor(
    readonly step: number,
    readonly key: string,
    readonly value: number,
    readonly hint = DEFAULT_DIVERGENCE_HINT,
    what = `${key} is ${value}`,
  ) {
    super(`diverged at step ${step}: ${what}. ${hint}`);
    this.name = 'RunDivergedError';
  }
}

/** Ctrl-C, SIGTERM or SIGHUP: the run stops at the next step boundary and is marked interrupted. */
export class RunInterruptedError extends Error {
  readonly code = 'E_RUN_INTERRUPTED';
  constructor(readonly signalName = 'SIGINT') {
    super(`interrupted by ${signalName}`);
    this.name = 'RunInterruptedError';
  }
}
