import { stringify as toYaml } from 'yaml';
import { jsonReplacer } from '@repscope/models';
import type { MetricPlotData } from './metric-plot-data';
import { escapeHtml } from './escape-html';
import type { Headline } from '../plugin/headline';
import { HEADLINE_STYLE, headlineHtml } from './headline-html';
import { metricsChartSpec } from './metrics-chart';
import { renderVegaLiteSvg } from './plot';
import type { ReportSection } from './report-builder';
import { formatCell, summaryTableHtml } from './summary-html';

export { escapeHtml };

export interface ReportInput {
  title: string;
  status: string;
  config: unknown;
  summary: Record<string, unknown>;
  series: MetricPlotData;
  sections: ReportSection[];
  env: Record<string, unknown>;
  /** The plugin's answer (ctx.report.setHeadline), shown first. */
  headline?: Headline;
}

export const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-variant-numeric:tabular-nums;white-space:pre}
th{background:#f4f4f4}pre{background:#f7f7f7;padding:.8em;overflow:auto}img{image-rendering:pixelated;border:1px solid #ccc}
.status{display:inline-block;padding:1px 8px;border-radius:4px;background:#eee}.status.completed{background:#d4f4d4}.status.diverged,.status.failed{background:#f8d0d0}
figure{display:inline-block;margin:.3em;text-align:center}figcaption{font-size:.85em;color:#555}
table.summary>tbody>tr>td{white-space:normal;overflow-wrap:anywhere;max-width:900px}table.nested{margin:0;font-size:.92em}
table.nested td,table.nested th{white-space:normal;vertical-align:top}details pre{max-height:24em;max-width:800px}.list{font-variant-numeric:tabular-nums}details>summary{cursor:pointer;color:#444}
.table-box{max-width:100%;overflow-x:auto}tr.bookkeeping>th,tr.bookkeeping>td{color:#777}figure{max-width:100%}img,svg{max-width:100%;height:auto}h1,p,li{overflow-wrap:anywhere}
details.summary-table>summary>h2{display:inline-block;margin:1em 0 .3em;border:0}
${HEADLINE_STYLE}`;

function table(columns: string[], rows: unknown[][]): string {
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(formatCell(c))}</td>`).join('')}</tr>`).join('\n');
  return tableBox(`<table>${head}\n${body}</table>`);
}

/** Wide tables (a column per token position) scroll inside their own box, never the page. */
export function tableBox(table: string): string {
  return `<div class="table-box">${table}</div>`;
}

/** Run reports run no script at all: nothing a plugin's data could smuggle in executes. */
const RUN_REPORT_CSP = `<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'">`;

/**
 * With a headline the summary table is the detail behind it, collapsed; without one it is
 * still the first thing a reader needs, open.
 */
function summarySection(summary: Record<string, unknown>, collapsed: boolean): string {
  return `<details class="summary-table"${collapsed ? '' : ' open'}><summary><h2>Summary</h2></summary>${tableBox(summaryTableHtml(summary))}</details>`;
}

async function renderSection(s: ReportSection): Promise<string> {
  const title = `<h2>${escapeHtml(s.title)}</h2>`;
  switch (s.type) {
    case 'image':
      return `${title}<figure><img src="${escapeHtml(s.path)}"${s.width ? ` width="${s.width}"` : ''}>${s.caption ? `<figcaption>${escapeHtml(s.caption)}</figcaption>` : ''}</figure>`;
    case 'images':
      return `${title}${s.items
        .map((i) => `<figure><img src="${escapeHtml(i.path)}"${s.width ? ` width="${s.width}"` : ''}>${i.caption ? `<figcaption>${escapeHtml(i.caption)}</figcaption>` : ''}</figure>`)
        .join('')}`;
    case 'table':
      return `${title}${table(s.columns, s.rows)}${s.caption ? `<p>${escapeHtml(s.caption)}</p>` : ''}`;
    case 'text':
      return `${title}${s.preformatted ? `<pre>${escapeHtml(s.text)}</pre>` : `<p>${escapeHtml(s.text)}</p>`}`;
    case 'plot':
      return `${title}${await safeSvg(s.spec)}`;
  }
}

async function safeSvg(spec: Parameters<typeof renderVegaLiteSvg>[0]): Promise<string> {
  try {
    return await renderVegaLiteSvg(spec);
  } catch (err) {
    return `<p>(plot could not be rendered: ${escapeHtml(String((err as Error).message))})</p>`;
  }
}

/** A single self-contained HTML page (images are referenced relative to the run directory). */
export async function renderReportHtml(input: ReportInput): Promise<string> {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(input.title)} <span class="status ${escapeHtml(input.status)}">${escapeHtml(input.status)}</span></h1>`);
  if (input.headline) parts.push(headlineHtml(input.headline));
  parts.push(summarySection(input.summary, input.headline !== undefined));
  const chart = metricsChartSpec(input.series);
  if (chart) parts.push(`<h2>Metrics</h2>${await safeSvg(chart)}`);
  for (const section of input.sections) parts.push(await renderSection(section));
  const artifacts = input.summary['artifacts'];
  if (Array.isArray(artifacts) && artifacts.length) {
    parts.push(
      `<h2>Artifacts</h2><ul>${artifacts
        .map((a: { path: string; description?: string }) => `<li><a href="${escapeHtml(a.path)}">${escapeHtml(a.path)}</a>${a.description ? ' — ' + escapeHtml(a.description) : ''}</li>`)
        .join('')}</ul>`,
    );
  }
  parts.push(`<h2>Config</h2><pre>${escapeHtml(toYaml(input.config, { lineWidth: 0 }))}</pre>`);
  parts.push(`<h2>Environment</h2><pre>${escapeHtml(JSON.stringify(input.env, jsonReplacer, 2))}</pre>`);
  return `<!doctype html><html><head><meta charset="utf-8">${RUN_REPORT_CSP}<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
