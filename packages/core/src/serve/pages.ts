import { escapeHtml } from '../report/escape-html';
import { STYLE, tableBox } from '../report/render-html';
import type { Comparison } from './compare';
import { LIST_SCRIPT, LIST_SCRIPT_CSP_SOURCE } from './list-script';
import { urlPathOf } from './safe-path';

/** The list page runs its own script and nothing else; it talks to this server only. */
export const LIST_PAGE_CSP = `default-src 'none'; script-src ${LIST_SCRIPT_CSP_SOURCE}; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
/** Server-rendered pages (compare): no script at all. */
export const STATIC_PAGE_CSP = `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const PAGE_STYLE = `${STYLE}
body{max-width:1400px}.filters{display:flex;gap:1em;flex-wrap:wrap;margin:.5em 0}.filters label{display:flex;gap:.4em;align-items:center}
#error{color:#b00}progress{width:6em;vertical-align:middle}figure.chart{display:inline-block;margin:0 1em 1em 0}
td,th{text-align:left}.muted{color:#666}`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body>\n${body}\n${script ? `<script>${script}</script>\n` : ''}</body></html>\n`;
}

/** GET /: the runs and sweeps of the served folder, drawn and refreshed by the list script. */
export function listPage(root: string): string {
  const body = [
    `<h1>repscope · runs</h1>`,
    `<p class="muted">Serving <code>${escapeHtml(root)}</code>, read-only. The lists refresh every few seconds. Tick two or more runs to compare them.</p>`,
    `<p id="error" role="status"></p>`,
    `<h2>Sweeps</h2>`,
    tableBox(`<table><thead><tr><th>sweep</th><th>config</th><th>jobs</th><th>states</th></tr></thead><tbody id="sweeps"></tbody></table>`),
    `<h2>Runs</h2>`,
    `<div class="filters"><label>experiment <select id="f-experiment"><option value="">all</option></select></label>`,
    `<label>status <select id="f-status"><option value="">all</option></select></label>`,
    `<label>name <input id="f-name" type="search" placeholder="part of name or path"></label>`,
    `<button id="compare" type="button" disabled>compare selected</button> <span id="count" class="muted"></span></div>`,
    tableBox(`<table><thead><tr><th></th><th>experiment</th><th>name</th><th>status</th><th>progress</th><th>results (or latest metrics)</th><th></th><th>path</th></tr></thead><tbody id="runs"></tbody></table>`),
  ].join('\n');
  return page('repscope · runs', body, LIST_SCRIPT);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '<td class="muted">-</td>';
  return `<td>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</td>`;
}

/** GET /compare: the config keys that differ, then one chart per metric with a line per run. */
export function comparePage(c: Comparison): string {
  const runList = c.runs
    .map((r) => `<li>${escapeHtml(r.label)} · <code>${escapeHtml(r.path)}</code> · ${escapeHtml(r.status)}${r.problem ? ` — ${escapeHtml(r.problem)}` : ''} · <a href="/files/${escapeHtml(urlPathOf(r.path))}/report.html">report</a></li>`)
    .join('');
  const keys = Object.keys(c.configDifferences);
  const diff = keys.length
    ? tableBox(`<table><thead><tr><th>key</th>${c.runs.map((r) => `<th>${escapeHtml(r.label)}</th>`).join('')}</tr></thead><tbody>${keys.map((k) => `<tr><td><code>${escapeHtml(k)}</code></td>${c.configDifferences[k]!.map(cell).join('')}</tr>`).join('')}</tbody></table>`)
    : '<p>The configs are identical (apart from their names).</p>';
  const charts = c.charts.length ? c.charts.map((ch) => `<figure class="chart" data-metric="${escapeHtml(ch.metric)}">${ch.svg}</figure>`).join('\n') : '<p>No metric was logged by two points or more.</p>';
  const note = c.truncated.length ? `<p class="muted">Only the end of the metrics of ${c.truncated.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')} is drawn (the file is large).</p>` : '';
  const body = [`<p><a href="/">← all runs</a></p>`, `<h1>Compare ${c.runs.length} runs</h1>`, `<ul>${runList}</ul>`, `<h2>Config differences</h2>`, diff, `<h2>Metrics</h2>`, note, charts].join('\n');
  return page('repscope · compare', body);
}

/** A short error page. */
export function errorPage(status: number, message: string): string {
  return page(`${status}`, `<h1>${status}</h1><p>${escapeHtml(message)}</p><p><a href="/">all runs</a></p>`);
}
