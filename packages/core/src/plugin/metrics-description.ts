/**
 * How a plugin's logged keys are meant to be read. `loss` keys are checked for NaN/Inf (the
 * run stops as diverged) and plotted; `value` keys are plotted; `bookkeeping` keys (batch,
 * octave, sigma, …) go to metrics.jsonl only. Keys not declared: `loss` if the name contains
 * "loss", else `value`.
 */
export type MetricRole = 'loss' | 'value' | 'bookkeeping';

/**
 * How a field of the summary (what `run` returns) is meant to be read: a `result` is what the
 * run found (a sweep charts it against its axes); `bookkeeping` records how the run went or
 * what it was given (ms per step, a derived setting, an id) and a sweep lists it in its table only.
 */
export type SummaryRole = 'result' | 'bookkeeping';

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
  /**
   * Role per summary field (see SummaryRole); undeclared fields are results, but for `seed`,
   * `steps` and `durationSeconds`. A nested field (`restartSpread.bestRestart`) takes its own
   * role, else its parent's. Recorded in summary.json as `summaryRoles`.
   */
  summaryRoles?: Record<string, SummaryRole>;
}

export function roleOf(key: string, description: MetricsDescription): MetricRole {
  return description.roles?.[key] ?? (/loss/i.test(key) ? 'loss' : 'value');
}

/** Summary fields that say how any run went rather than what it found, whatever the plugin. */
const CORE_BOOKKEEPING = new Set(['seed', 'steps', 'durationSeconds']);

/** The role of a summary field (dotted for a nested one) under a run's declared `summaryRoles`. */
export function summaryRoleOf(field: string, roles: Record<string, SummaryRole> | undefined): SummaryRole {
  // Own keys only: a field named `constructor` has no role from Object.prototype.
  const declared = (key: string) => (roles && Object.hasOwn(roles, key) ? roles[key] : undefined);
  const parent = field.includes('.') ? field.slice(0, field.indexOf('.')) : undefined;
  return declared(field) ?? (parent !== undefined ? declared(parent) : undefined) ?? (CORE_BOOKKEEPING.has(field) ? 'bookkeeping' : 'result');
}

/**
 * `summaryRoles` as read from a summary.json: run folders are shared and may be edited by
 * hand, so anything but a mapping of field → "result" | "bookkeeping" is dropped, not trusted.
 */
export function readSummaryRoles(value: unknown): Record<string, SummaryRole> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, SummaryRole] => e[1] === 'result' || e[1] === 'bookkeeping'));
}
