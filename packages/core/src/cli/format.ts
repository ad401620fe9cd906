import { terminalSafe } from '../util/terminal-text';

/** Fixed-width text table for terminal listings; cells from run folders are made terminal-safe. */
export function textTable(header: string[], unsafeRows: string[][]): string {
  const rows = unsafeRows.map((r) => r.map(terminalSafe));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatScalar(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(5);
  if (typeof v === 'string') return v.length > 70 ? JSON.stringify(v.slice(0, 67) + '...') : JSON.stringify(v);
  return String(v);
}
