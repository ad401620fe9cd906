import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderVegaLiteSvg } from '../report/plot';
import { containStrayErrors } from '../util/contain-stray-errors';
import { escapeHtml, STYLE } from '../report/render-html';
import { writeFileAtomic } from '@repscope/models';
import { errorMessage } from '@repscope/models';
import { scalarFields, SweepRecord } from './write-sweep-files';
import type { SweepManifest } from './manifest';
import { chartedFields, sweepCharts, valueLabel } from './sweep-charts';

const FINISHED = new Set(['completed', 'diverged']);
const TABLE_FIELDS = 8;

/** DIR/report.html: every job's axes, status and key results, charts per swept axis, failures. */
export async function renderSweepReport(outDir: string, manifest: SweepManifest, records: SweepRecord[]): Promise<string> {
  const axes = [...new Set(manifest.jobs.flatMap((j) => Object.keys(j.overrides)))];
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const tally = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
  const title = `sweep · ${path.basename(manifest.config)}${manifest.arguments.length ? ' ' + manifest.arguments.join(' ') : ''}`;
  const parts: string[] = [`<h1>${escapeHtml(title)}</h1>`, `<p>${records.length} jobs: ${escapeHtml(tally)}. Folder <code>${escapeHtml(outDir)}</code>.</p>`];

  const charted = chartedFields(records, axes);
  const fields = [...charted.slice(0, TABLE_FIELDS), ...(records.some((r) => typeof r.summary?.['durationSeconds'] === 'number') ? ['durationSeconds'] : [])];
  parts.push('<h2>Jobs</h2>', jobsTable(outDir, records, axes, fields));

  const charts = sweepCharts(records, axes);
  if (charts.length) {
    parts.push('<h2>Results against each swept axis</h2>');
    for (const chart of charts) {
      let svg: string;
      try {
        svg = await containStrayErrors(() => renderVegaLiteSvg(chart.spec));
      } catch (err) {
        svg = `<p>(chart could not be rendered: ${escapeHtml(errorMessage(err))})</p>`;
      }
      parts.push(`<figure class="chart" data-field="${escapeHtml(chart.field)}" data-axis="${escapeHtml(chart.axis)}">${svg}</figure>`);
    }
  } else if (records.some((r) => FINISHED.has(r.status))) {
    parts.push('<p>No charts: no numeric summary field differs between the finished jobs.</p>');
  }

  const failed = records.filter((r) => ['failed', 'killed', 'interrupted'].includes(r.status));
  if (failed.length) {
    parts.push(
      '<h2>Jobs that did not finish</h2><table><tr><th>job</th><th>status</th><th>folder</th><th>error</th></tr>',
      ...failed.map((r) => `<tr><td>${r.job}</td><td>${escapeHtml(r.status)}</td><td>${escapeHtml(r.dir)}</td><td>${escapeHtml(r.error ?? '')}</td></tr>`),
      '</table>',
    );
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}\nfigure.chart{display:inline-block}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}

function jobsTable(outDir: string, records: SweepRecord[], axes: string[], fields: string[]): string {
  const head = ['job', 'status', ...axes, ...fields, 'error'].map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const rows = records.map((r) => {
    const values = scalarFields(r.summary);
    const hasReport = fs.existsSync(path.join(outDir, r.dir, 'report.html'));
    const job = hasReport ? `<a href="${escapeHtml(encodeURI(`${r.dir}/report.html`))}">${r.job}</a>` : String(r.job);
    const cells = [
      job,
      `<span class="status ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span>`,
      ...axes.map((a) => escapeHtml(valueLabel(r.overrides[a]))),
      ...fields.map((f) => escapeHtml(formatNumber(values[f]))),
      escapeHtml(r.error ?? ''),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table><tr>${head}</tr>\n${rows.join('\n')}</table>`;
}

function formatNumber(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4);
}

export async function writeSweepReport(outDir: string, manifest: SweepManifest, records: SweepRecord[]): Promise<void> {
  writeFileAtomic(path.join(outDir, 'report.html'), await renderSweepReport(outDir, manifest, records));
}
