import * as fs from 'node:fs';
import { jsonReplacer } from '../util/atomic-write';
import type { ProgressReporter } from './progress';
import { RunDivergedError, RunInterruptedError, writingTo } from './run-errors';

export type MetricValue = number | string | boolean | null;

/**
 * Appends one JSON line per logged step to metrics.jsonl (append is crash-safe: at worst
 * the last line is torn, and readers skip it). Every numeric field whose name contains
 * "loss" is checked: NaN or ±Inf stops the run as diverged. Logging also checks for
 * Ctrl-C, so any loop that logs each step stops promptly.
 */
export class MetricsLogger {
  private readonly fd: number;
  private readonly series = new Map<string, { step: number; value: number }[]>();

  constructor(
    private readonly file: string,
    private readonly progress: ProgressReporter,
    private readonly signal: AbortSignal,
  ) {
    this.fd = writingTo(file, () => fs.openSync(file, 'a'));
  }

  log(step: number, values: Record<string, MetricValue>): void {
    if (this.signal.aborted) throw new RunInterruptedError(String(this.signal.reason ?? 'SIGINT'));
    const line = JSON.stringify({ step, ...values }, jsonReplacer) + '\n';
    writingTo(this.file, () => fs.writeSync(this.fd, line));
    for (const [key, value] of Object.entries(values)) {
      if (typeof value !== 'number') continue;
      let s = this.series.get(key);
      if (!s) this.series.set(key, (s = []));
      s.push({ step, value });
    }
    const loss = typeof values['loss'] === 'number' ? values['loss'] : undefined;
    this.progress.update(step, { loss });
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'number' && /loss/i.test(key) && !Number.isFinite(value)) {
        throw new RunDivergedError(step, key, value);
      }
    }
  }

  /** Numeric series logged so far, for plots. */
  allSeries(): Map<string, { step: number; value: number }[]> {
    return this.series;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
