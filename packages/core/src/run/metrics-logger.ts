import * as fs from 'node:fs';
import { jsonReplacer } from '@repscope/models';
import type { MetricsSink, MetricValue } from '../plugin/api';
import { MetricsDescription, roleOf, type SummaryRole } from '../plugin/metrics-description';
import type { MetricPlotData, MetricPoint } from '../report/metric-plot-data';
import type { ProgressReporter } from './progress';
import { RunDivergedError, RunInterruptedError, writingTo } from './run-errors';

export type { MetricValue };

/**
 * Appends one JSON line per logged step to metrics.jsonl (append is crash-safe: at worst
 * the last line is torn, and readers skip it). Every numeric loss field (see `describe`;
 * by default every key whose name contains "loss") is checked: NaN or ±Inf stops the run as
 * diverged. Logging also checks for Ctrl-C, so any loop that logs each step stops promptly.
 */
export class MetricsLogger implements MetricsSink {
  private readonly fd: number;
  private readonly series = new Map<string, MetricPoint[]>();
  private description: MetricsDescription = {};

  constructor(
    private readonly file: string,
    private readonly progress: ProgressReporter,
    private readonly signal: AbortSignal,
  ) {
    this.fd = writingTo(file, () => fs.openSync(file, 'a'));
  }

  /**
   * Say which logged keys are losses, values or bookkeeping, what the plots' x-axis is and
   * whether to draw one line per value of a key. Call it before the first `log`.
   */
  describe(description: MetricsDescription): void {
    for (const [field, role] of Object.entries(description.summaryRoles ?? {})) {
      // A misspelt role would silently keep a result out of every sweep chart.
      if (role !== 'result' && role !== 'bookkeeping') throw new TypeError(`ctx.metrics.describe: summaryRoles.${field} must be "result" or "bookkeeping" (got ${JSON.stringify(role)})`);
    }
    this.description = {
      ...this.description,
      ...description,
      roles: { ...this.description.roles, ...description.roles },
      summaryRoles: { ...this.description.summaryRoles, ...description.summaryRoles },
    };
  }

  /** The summary fields' roles the plugin declared (summary.json's `summaryRoles`); undefined when none. */
  summaryRoles(): Record<string, SummaryRole> | undefined {
    const roles = this.description.summaryRoles;
    return roles && Object.keys(roles).length ? { ...roles } : undefined;
  }

  log(step: number, values: Record<string, MetricValue>): void {
    if (this.signal.aborted) throw new RunInterruptedError(String(this.signal.reason ?? 'SIGINT'));
    const line = JSON.stringify({ step, ...values }, jsonReplacer) + '\n';
    writingTo(this.file, () => fs.writeSync(this.fd, line));
    const { x: axis, groupBy } = this.description;
    const xValue = axis?.key !== undefined && values[axis.key] !== undefined && values[axis.key] !== null ? values[axis.key] : step;
    const x = axis?.categorical ? String(xValue) : Number(xValue);
    const group = groupBy !== undefined && values[groupBy] !== undefined ? String(values[groupBy]) : undefined;
    for (const [key, value] of Object.entries(values)) {
      if (typeof value !== 'number' || key === axis?.key || key === groupBy || roleOf(key, this.description) === 'bookkeeping') continue;
      let s = this.series.get(key);
      if (!s) this.series.set(key, (s = []));
      s.push(group === undefined ? { x, value } : { x, value, group });
    }
    const loss = typeof values['loss'] === 'number' ? values['loss'] : undefined;
    // Logging step s means s + 1 steps (0 … s) are done.
    this.progress.update(step + 1, { loss });
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'number' && roleOf(key, this.description) === 'loss' && !Number.isFinite(value)) {
        throw new RunDivergedError(step, key, value);
      }
    }
  }

  /** The plottable series logged so far (bookkeeping left out), with the x-axis to draw them on. */
  allSeries(): MetricPlotData {
    const axis = this.description.x;
    return {
      series: this.series,
      x: { title: axis?.title ?? axis?.key ?? 'step', categorical: axis?.categorical ?? false },
      ...(this.description.groupBy !== undefined ? { groupTitle: this.description.groupBy } : {}),
    };
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
