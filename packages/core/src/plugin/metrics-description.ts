/**
 * How a plugin's logged keys are meant to be read. `loss` keys are checked for NaN/Inf (the
 * run stops as diverged) and plotted; `value` keys are plotted; `bookkeeping` keys (batch,
 * octave, sigma, …) go to metrics.jsonl only. Keys not declared: `loss` if the name contains
 * "loss", else `value`.
 */
export type MetricRole = 'loss' | 'value' | 'bookkeeping';

export interface MetricsDescription {
  /** Role per logged key. */
  roles?: Record<string, MetricRole>;
  /**
   * The x-axis of the plots: `key` is a logged key used instead of `step` (e.g. the step
   * within a batch), `title` its label; `categorical` draws its values as categories (a layer
   * index, a hook name), not as a continuous 0.0–1.0 scale.
   */
  x?: { key?: string; title?: string; categorical?: boolean };
  /** A logged bookkeeping key whose values split each plot into one line per value (e.g. `batch`). */
  groupBy?: string;
}


export function roleOf(key: string, description: MetricsDescription): MetricRole {
  return description.roles?.[key] ?? (/loss/i.test(key) ? 'loss' : 'value');
}
