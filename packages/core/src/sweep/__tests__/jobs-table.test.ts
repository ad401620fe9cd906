import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { SweepRecord } from '../write-sweep-files';
import { breakableName, jobsTableHtml } from '../jobs-table';
import { SORT_SCRIPT } from '../sort-script';
import { renderSweepReport } from '../sweep-report';
import type { SweepManifest } from '../manifest';

const jobs: SweepRecord[] = [
  { job: 0, dir: '00-lr=0.1', overrides: { lr: 0.1 }, status: 'completed', summary: { finalLoss: 0.123456789 } },
  { job: 1, dir: '01-lr=10', overrides: { lr: 10 }, status: 'failed', summary: null, error: 'boom <b>' },
  { job: 2, dir: '02-lr=2', overrides: { lr: 2 }, status: 'completed', summary: { finalLoss: 0.02 } },
  { job: 3, dir: '03-lr=0.5', overrides: { lr: 0.5 }, status: 'completed', summary: { finalLoss: 3 } },
];

/** A sweep folder where every job but the failed one has written its report. */
function sweepFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-table-'));
  for (const r of jobs) {
    fs.mkdirSync(path.join(dir, r.dir));
    if (r.status === 'completed') fs.writeFileSync(path.join(dir, r.dir, 'report.html'), '');
  }
  return dir;
}

interface Cell {
  dataset: { sort?: string };
  textContent: string;
}

/** The table as the sort script sees it, read from the HTML: just enough DOM for it. */
function fakeDom(html: string) {
  const headerCount = (html.match(/<th /g) ?? []).length;
  const listeners: (() => void)[] = [];
  const headers = Array.from({ length: headerCount }, (_, i) => {
    const attributes = new Map<string, string>();
    return {
      getAttribute: (k: string) => attributes.get(k) ?? null,
      setAttribute: (k: string, v: string) => void attributes.set(k, v),
      removeAttribute: (k: string) => void attributes.delete(k),
      querySelector: () => ({ addEventListener: (_event: string, f: () => void) => void (listeners[i] = f) }),
    };
  });
  const tbody = /<tbody>([\s\S]*)<\/tbody>/.exec(html)![1]!;
  const rows = [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => ({
    cells: [...row[1]!.matchAll(/<td(?: class="value")?(?: data-sort="([^"]*)")?>([\s\S]*?)<\/td>/g)].map((c): Cell => ({ dataset: c[1] !== undefined ? { sort: c[1] } : {}, textContent: c[2]!.replace(/<[^>]+>/g, '') })),
  }));
  const body = { rows, append: (...moved: typeof rows) => void (body.rows = moved) };
  const table = { tHead: { rows: [{ cells: headers }] }, tBodies: [body] };
  return {
    document: { querySelectorAll: (selector: string) => (selector === 'table.sortable' ? [table] : []) },
    click: (column: number) => listeners[column]!(),
    column: (column: number) => body.rows.map((r) => r.cells[column]!.textContent),
    sortedAs: (column: number) => headers[column]!.getAttribute('aria-sort'),
  };
}

describe('the sweep jobs table', () => {
  test('each finished job links to its report; a job without one is plain text; text from data is escaped', () => {
    const html = jobsTableHtml(sweepFolder(), jobs, { axes: ['lr'], results: ['finalLoss'], bookkeeping: [] });
    expect(html).toMatch(/^<div class="table-box"><table class="jobs sortable"><thead><tr>/);
    expect(html).toContain('<td><a href="00-lr=0.1/report.html" title="00-lr=0.1">0</a></td>');
    expect(html).toContain('<td><a href="03-lr=0.5/report.html" title="03-lr=0.5">3</a></td>');
    expect(html).toContain('<tr><td>1</td>');
    expect(html).toContain('boom &lt;b&gt;');
    // Shown rounded, sorted by the exact value.
    expect(html).toContain('<td class="value" data-sort="0.123456789">0.1235</td>');
    const headers = [...html.matchAll(/<th scope="col"><button type="button">(.*?)<\/button><\/th>/g)].map((m) => m[1]!.replace(/<wbr>/g, ''));
    expect(headers).toEqual(['job', 'status', 'lr', 'finalLoss', 'error']);
  });

  test('long column names break at dots and camelCase humps, axis values after / and @, instead of widening the table', () => {
    const weights = [{ ...jobs[0]!, overrides: { 'model.weights': 'hf:EleutherAI/pythia-160m@step1000' } }];
    expect(jobsTableHtml('/nonexistent', weights, { axes: ['model.weights'], results: [], bookkeeping: [] })).toContain('<td>hf:EleutherAI/<wbr>pythia-160m@<wbr>step1000</td>');
    expect(breakableName('restartSpread.outputDistance')).toBe('restart<wbr>Spread.<wbr>output<wbr>Distance');
    expect(breakableName('a<b')).toBe('a&lt;b');
  });

  test('the sort script orders numbers as numbers, text naturally, blanks last, and reverses on a second click', () => {
    const dom = fakeDom(jobsTableHtml(sweepFolder(), jobs, { axes: ['lr'], results: ['finalLoss'], bookkeeping: [] }));
    vm.runInNewContext(SORT_SCRIPT, { document: dom.document });
    dom.click(2); // lr
    expect(dom.column(2)).toEqual(['0.1', '0.5', '2', '10']);
    expect(dom.sortedAs(2)).toBe('ascending');
    dom.click(2);
    expect(dom.column(2)).toEqual(['10', '2', '0.5', '0.1']);
    expect(dom.sortedAs(2)).toBe('descending');
    dom.click(3); // finalLoss: the failed job has none and stays last
    expect(dom.column(0)).toEqual(['2', '0', '3', '1']);
    expect(dom.sortedAs(2)).toBeNull();
    dom.click(3);
    expect(dom.column(0)).toEqual(['3', '0', '2', '1']);
    dom.click(1); // status, as text
    expect(dom.column(1)).toEqual(['completed', 'completed', 'completed', 'failed']);
  });

  test('the page runs only its own inline script: the CSP names its hash, and nothing is fetched', async () => {
    const dir = sweepFolder();
    const manifest: SweepManifest = { version: 1, config: '/x/sweep.yaml', arguments: [], jobs: jobs.map((r) => ({ job: r.job, dir: r.dir, label: '', overrides: r.overrides, configHash: '' })) };
    const html = await renderSweepReport(dir, manifest, jobs);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toBe('');
    const hash = createHash('sha256').update(scripts[0]![2]!).digest('base64');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="script-src 'sha256-${hash}'; object-src 'none'; base-uri 'none'">`);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });
});
