import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeHtml } from '../report/escape-html';
import { valueLabel } from './sweep-charts';
import { scalarFields, SweepRecord } from './write-sweep-files';

/*
 * The sweep report's jobs table: one row per job, linked to its report, sortable by any
 * column (sort-script.ts). It fits the page: cells wrap, long column names break at dots and
 * camelCase humps, and what still does not fit scrolls inside its own box with the job
 * column held in place.
 */

export const JOBS_TABLE_STYLE = `table.jobs td,table.jobs th{white-space:normal;vertical-align:top;overflow-wrap:break-word}table.jobs td.value,table.jobs td:nth-child(2){white-space:nowrap}
table.jobs tr>:first-child{position:sticky;left:0;z-index:1;background:#fff}table.jobs thead tr>:first-child{background:#f4f4f4}
table.jobs th button{all:unset;cursor:pointer;display:block}table.jobs th button:focus-visible{outline:2px solid #36c}
table.jobs th[aria-sort=ascending] button::after{content:" ▲"}table.jobs th[aria-sort=descending] button::after{content:" ▼"}
table.jobs th.bookkeeping{font-weight:normal;color:#666}`;

export interface JobsTableColumns {
  axes: string[];
  results: string[];
  /** Listed, not charted: shown after the results, in a lighter header. */
  bookkeeping: string[];
}

/** A column name with break opportunities after dots and before camelCase humps, so headers wrap instead of widening the table. */
export function breakableName(name: string): string {
  return escapeHtml(name).replace(/\./g, '.<wbr>').replace(/([a-z])(?=[A-Z])/g, '$1<wbr>');
}

export function formatNumber(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4);
}

function header(name: string, bookkeeping = false): string {
  const cls = bookkeeping ? ' class="bookkeeping" title="bookkeeping: listed here, not charted"' : '';
  return `<th scope="col"${cls}><button type="button">${breakableName(name)}</button></th>`;
}

/** A numeric cell shows the rounded value and sorts by the exact one. */
function valueCell(v: unknown): string {
  const exact = typeof v === 'number' && !Number.isInteger(v) ? ` data-sort="${v}"` : '';
  return `<td class="value"${exact}>${escapeHtml(formatNumber(v))}</td>`;
}

/** An axis value (a checkpoint path, a Hub revision) may break after / and @, never inside a number. */
function axisCell(v: unknown): string {
  return `<td>${escapeHtml(valueLabel(v)).replace(/([/@])/g, '$1<wbr>')}</td>`;
}

/** The job's number, linked to its report once it has one (relative, so the folder can move). */
function jobCell(outDir: string, r: SweepRecord): string {
  const hasReport = fs.existsSync(path.join(outDir, r.dir, 'report.html'));
  return `<td>${hasReport ? `<a href="${escapeHtml(encodeURI(`${r.dir}/report.html`))}" title="${escapeHtml(r.dir)}">${r.job}</a>` : String(r.job)}</td>`;
}

export function jobsTableHtml(outDir: string, records: SweepRecord[], columns: JobsTableColumns): string {
  const { axes, results, bookkeeping } = columns;
  const duration = records.some((r) => typeof r.summary?.['durationSeconds'] === 'number');
  const head = [
    header('job'),
    header('status'),
    ...axes.map((a) => header(a)),
    ...results.map((f) => header(f)),
    ...bookkeeping.map((f) => header(f, true)),
    ...(duration ? [header('durationSeconds', true)] : []),
    header('error'),
  ].join('');
  const rows = records.map((r) => {
    const values = scalarFields(r.summary);
    const cells = [
      jobCell(outDir, r),
      `<td><span class="status ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span></td>`,
      ...axes.map((a) => axisCell(r.overrides[a])),
      ...[...results, ...bookkeeping, ...(duration ? ['durationSeconds'] : [])].map((f) => valueCell(values[f])),
      `<td>${escapeHtml(r.error ?? '')}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<div class="table-box"><table class="jobs sortable"><thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}
