/** A loss became NaN/Inf: the run stops and its summary records the divergence. */
export class RunDivergedError extends Error {
  readonly code = 'E_RUN_DIVERGED';
  constructor(
    readonly step: number,
    readonly key: string,
    readonly value: number,
  ) {
    super(`diverged at step ${step}: ${key} is ${value}. Lower the learning rate or change the loss scale.`);
    this.name = 'RunDivergedError';
  }
}

/** Ctrl-C (SIGINT/SIGTERM): the run stops at the next step boundary and is marked interrupted. */
export class RunInterruptedError extends Error {
  readonly code = 'E_RUN_INTERRUPTED';
  constructor(readonly signalName = 'SIGINT') {
    super(`interrupted by ${signalName}`);
    this.name = 'RunInterruptedError';
  }
}
