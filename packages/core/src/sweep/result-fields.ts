import { readSummaryRoles, summaryRoleOf, type SummaryRole } from '../plugin/metrics-description';
import { scalarFields, SweepRecord } from './write-sweep-files';

/*
 * Which summary fields a sweep report charts and which it only lists. A chart is for what the
 * runs found (a result); how they went (ms per step, a derived setting, an id) is bookkeeping
 * and sits in the jobs table, where it does not crowd out the answer. The plugin says which is
 * which (ctx.metrics.describe({ summaryRoles }), recorded in each summary.json).
 */

const MAX_TABLE_RESULTS = 12;
const MAX_TABLE_BOOKKEEPING = 6;

/** The roles the jobs recorded; they come from one plugin, so they agree (a later job wins if not). */
export function sweepSummaryRoles(records: SweepRecord[]): Record<string, SummaryRole> {
  return Object.fromEntries(records.flatMap((r) => Object.entries(readSummaryRoles(r.summary?.['summaryRoles']))));
}

/** Fields (not axes) whose values pass `keep` and differ between jobs: a constant makes a flat chart and an idle column. */
function varyingFields(records: SweepRecord[], axes: string[], keep: (v: unknown) => boolean): string[] {
  const values = new Map<string, Set<unknown>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(scalarFields(r.summary))) {
      if (!keep(v) || axes.includes(k)) continue;
      if (!values.has(k)) values.set(k, new Set());
      values.get(k)!.add(v);
    }
  }
  return [...values.entries()].filter(([, s]) => s.size > 1).map(([k]) => k);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Numeric results that differ between jobs: each gets a chart. */
export function chartedFields(records: SweepRecord[], axes: string[]): string[] {
  const roles = sweepSummaryRoles(records);
  return varyingFields(records, axes, isNumber).filter((k) => summaryRoleOf(k, roles) === 'result');
}

/**
 * The jobs table's columns beyond the axes: results first (numbers, and yes/no answers such as
 * exactMatch), then numeric bookkeeping; durationSeconds is the report's own last column.
 */
export function tableFields(records: SweepRecord[], axes: string[]): { results: string[]; bookkeeping: string[] } {
  const roles = sweepSummaryRoles(records);
  const fields = varyingFields(records, axes, (v) => isNumber(v) || typeof v === 'boolean');
  const numeric = new Set(varyingFields(records, axes, isNumber));
  return {
    results: fields.filter((k) => summaryRoleOf(k, roles) === 'result').slice(0, MAX_TABLE_RESULTS),
    bookkeeping: fields.filter((k) => numeric.has(k) && k !== 'durationSeconds' && summaryRoleOf(k, roles) === 'bookkeeping').slice(0, MAX_TABLE_BOOKKEEPING),
  };
}
