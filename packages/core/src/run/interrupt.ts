import * as os from 'node:os';

/** Signals that ask a run to stop: Ctrl-C, a scheduler's or kill's SIGTERM, a closed terminal's SIGHUP. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The shell's exit code for a process ended by `signal` (128 + its number; 130 for SIGINT). */
export function signalExitCode(signal: string | undefined): number {
  const n = signal ? os.constants.signals[signal as NodeJS.Signals] : undefined;
  return 128 + (n ?? os.constants.signals.SIGINT);
}

/**
 * The first stop signal aborts the signal so the run stops at the next step and records
 * that it was interrupted; a second one exits at once (the runner's exit hook then marks
 * status.json "killed").
 */
export function installInterruptHandler(onFirst?: (signal: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signalExitCode(sig));
    controller.abort(sig);
    onFirst?.(sig);
  };
  // After SIGHUP the terminal is gone and writing to it fails with EIO/EPIPE; that must not
  // turn a clean stop into a crash.
  const ignoreClosedTerminal = (): void => {};
  process.stderr.on('error', ignoreClosedTerminal);
  process.stdout.on('error', ignoreClosedTerminal);
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const s of STOP_SIGNALS) process.off(s, handler);
      process.stderr.off('error', ignoreClosedTerminal);
      process.stdout.off('error', ignoreClosedTerminal);
    },
  };
}
