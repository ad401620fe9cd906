import { jsonReplacer } from '@repscope/models';
import { escapeHtml } from './escape-html';
import { readSummaryRoles, summaryRoleOf } from '../plugin/metrics-description';

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function formatCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(4) : v.toPrecision(6);
  if (isScalar(v)) return String(v);
  return compactJson(v, 120);
}

function compactJson(v: unknown, max: number): string {
  const s = JSON.stringify(v, jsonReplacer) ?? String(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

function details(label: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${escapeHtml(label)}</summary>${body}</details>`;
}

function rowsTable(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${r[c] === undefined ? '' : summaryValueHtml(r[c])}</td>`).join('')}</tr>`).join('');
  return `<table class="nested">${head}${body}</table>`;
}

function keyValueTable(obj: Record<string, unknown>): string {
  return `<table class="nested">${Object.entries(obj)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${summaryValueHtml(v)}</td></tr>`)
    .join('')}</table>`;
}

/**
 * A summary value as HTML that never runs off the page: scalars as text, short lists inline,
 * lists of records as tables, objects as nested key/value tables, anything long or deeper
 * inside a collapsed <details>.
 */
export function summaryValueHtml(v: unknown): string {
  if (isScalar(v)) return escapeHtml(formatCell(v));
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isScalar)) {
      const inline = escapeHtml(v.map(formatCell).join(', '));
      return v.length <= 12 ? `<span class="list">${inline}</span>` : details(`${v.length} values: ${v.slice(0, 4).map(formatCell).join(', ')}, …`, `<div class="list">${inline}</div>`);
    }
    if (v.every(isPlainObject)) {
      const table = rowsTable(v);
      return v.length <= 8 ? table : details(`${v.length} rows`, table);
    }
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v);
    const table = keyValueTable(v);
    return entries.length <= 8 && entries.every(([, x]) => isScalar(x)) ? table : details(`${entries.length} fields`, table);
  }
  return details(compactJson(v, 40), `<pre>${escapeHtml(JSON.stringify(v, jsonReplacer, 2))}</pre>`);
}

/** Summary keys about the summary itself: the artifacts get their own section, the roles only style rows. */
const NOT_ROWS = new Set(['artifacts', 'summaryRoles']);

/** The summary as a key/value table; bookkeeping rows (summary.json's `summaryRoles`) are dimmed, so results stand out. */
export function summaryTableHtml(summary: Record<string, unknown>): string {
  const roles = readSummaryRoles(summary['summaryRoles']);
  const rows = Object.entries(summary)
    .filter(([k]) => !NOT_ROWS.has(k))
    .map(([k, v]) => `<tr${summaryRoleOf(k, roles) === 'bookkeeping' ? ' class="bookkeeping"' : ''}><th>${escapeHtml(k)}</th><td>${summaryValueHtml(v)}</td></tr>`);
  return `<table class="summary">${rows.join('\n')}</table>`;
}
