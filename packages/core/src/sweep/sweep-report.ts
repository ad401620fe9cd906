import * as path from 'node:path';
import { renderVegaLiteSvg } from '../report/plot';
import { containStrayErrors } from '../util/contain-stray-errors';
import { escapeHtml, STYLE, tableBox } from '../report/render-html';
import { writeFileAtomic } from '@repscope/models';
import { errorMessage } from '@repscope/models';
import { SweepRecord } from './write-sweep-files';
import type { SweepManifest } from './manifest';
import { describeIdenticalWeights, identicalWeights } from './identical-weights';
import { SweepChart, sweepCharts } from './sweep-charts';
import { tableFields } from './result-fields';
import { JOBS_TABLE_STYLE, jobsTableHtml } from './jobs-table';
import { SORT_SCRIPT, SORT_SCRIPT_CSP_SOURCE } from './sort-script';

const FINISHED = new Set(['completed', 'diverged']);

/** The page runs its own sorter and nothing else, whatever a job's data holds. */
const CSP = `<meta http-equiv="Content-Security-Policy" content="script-src ${SORT_SCRIPT_CSP_SOURCE}; object-src 'none'; base-uri 'none'">`;

/** How to read the charts, in one sentence: what is along x, what the colours are, where seeds and bookkeeping went. */
function chartsLegend(charts: SweepChart[], axes: string[], bookkeeping: string[]): string {
  const layouts = [...new Map(charts.map((c) => [`${c.axis}|${c.colour.join(',')}`, c])).values()];
  const along = layouts.length === 1
    ? `Each result against ${layouts[0]!.axis}${layouts[0]!.colour.length ? `, one colour per value of ${layouts[0]!.colour.join(', ')}` : ''}.`
    : 'Each result against each swept axis, one colour per combination of the others.';
  const seeds = axes.includes('seed') && axes.length > 1 ? ' Seeds are folded: the mean, with their min–max as a band (numeric axes) or bars (categories).' : '';
  const listed = bookkeeping.length ? ` Bookkeeping (${bookkeeping.join(', ')}) is in the table only.` : '';
  return `<p>${escapeHtml(along + seeds + listed)}</p>`;
}

async function chartHtml(chart: SweepChart): Promise<string> {
  let svg: string;
  try {
    svg = await containStrayErrors(() => renderVegaLiteSvg(chart.spec));
  } catch (err) {
    svg = `<p>(chart could not be rendered: ${escapeHtml(errorMessage(err))})</p>`;
  }
  const colour = chart.colour.length ? ` data-colour="${escapeHtml(chart.colour.join(','))}"` : '';
  return `<figure class="chart" data-field="${escapeHtml(chart.field)}" data-axis="${escapeHtml(chart.axis)}"${colour}>${svg}</figure>`;
}

/** DIR/report.html: every job's axes, status and results (sortable, linked), charts of the results, failures. */
export async function renderSweepReport(outDir: string, manifest: SweepManifest, records: SweepRecord[]): Promise<string> {
  const axes = [...new Set(manifest.jobs.flatMap((j) => Object.keys(j.overrides)))];
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const tally = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
  const title = `sweep · ${path.basename(manifest.config)}${manifest.arguments.length ? ' ' + manifest.arguments.join(' ') : ''}`;
  const parts: string[] = [`<h1>${escapeHtml(title)}</h1>`, `<p>${records.length} jobs: ${escapeHtml(tally)}. Folder <code>${escapeHtml(outDir)}</code>. Click a column's name to sort by it; a job's number opens its report.</p>`];
  // Revisions that served one file are one model measured twice: said before any chart.
  for (const note of describeIdenticalWeights(identicalWeights(outDir, manifest))) parts.push(`<p class="note"><strong>Note:</strong> ${escapeHtml(note)}</p>`);

  const { results, bookkeeping } = tableFields(records, axes);
  parts.push('<h2>Jobs</h2>', jobsTableHtml(outDir, records, { axes, results, bookkeeping }));

  const charts = sweepCharts(records, axes);
  if (charts.length) {
    parts.push('<h2>Results</h2>', chartsLegend(charts, axes, bookkeeping));
    for (const chart of charts) parts.push(await chartHtml(chart));
  } else if (records.some((r) => FINISHED.has(r.status))) {
    parts.push('<p>No charts: no numeric result differs between the finished jobs.</p>');
  }

  const failed = records.filter((r) => ['failed', 'killed', 'interrupted'].includes(r.status));
  if (failed.length) {
    parts.push(
      '<h2>Jobs that did not finish</h2>',
      tableBox(
        ['<table><tr><th>job</th><th>status</th><th>folder</th><th>error</th></tr>',
          ...failed.map((r) => `<tr><td>${r.job}</td><td>${escapeHtml(r.status)}</td><td>${escapeHtml(r.dir)}</td><td>${escapeHtml(r.error ?? '')}</td></tr>`),
          '</table>'].join('\n'),
      ),
    );
  }
  const style = `${STYLE}\n${JOBS_TABLE_STYLE}\nfigure.chart{display:inline-block}`;
  return `<!doctype html><html><head><meta charset="utf-8">${CSP}<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${style}</style></head><body>\n${parts.join('\n')}\n<script>${SORT_SCRIPT}</script>\n</body></html>\n`;
}

export async function writeSweepReport(outDir: string, manifest: SweepManifest, records: SweepRecord[]): Promise<void> {
  writeFileAtomic(path.join(outDir, 'report.html'), await renderSweepReport(outDir, manifest, records));
}
