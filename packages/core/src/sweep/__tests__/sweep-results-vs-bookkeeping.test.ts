import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepRecord } from '../write-sweep-files';
import { writeSweepFiles } from '../write-sweep-files';
import { chartedFields, tableFields } from '../result-fields';
import { sweepCharts } from '../sweep-charts';
import { renderSweepReport } from '../sweep-report';
import type { SweepManifest } from '../manifest';

/** An inversion-shaped summary: results, the bookkeeping the issue names, and a nested spread. */
function inversionSummary(lr: number, seed: number, roles = true): Record<string, unknown> {
  return {
    status: 'completed',
    seed,
    outputDistance: 10 / lr + seed,
    tokenAccuracy: lr > 0.5 ? 0.75 : 0.25,
    exactMatch: lr > 1,
    targetNextToken: 100 + seed,
    baselineStdScaled: 0.01 * (seed + 1),
    msPerStep: 5 + lr + seed,
    steps: 40,
    restartSpread: { bestRestart: seed, exactMatches: seed },
    durationSeconds: 1 + seed,
    ...(roles ? { summaryRoles: { targetNextToken: 'bookkeeping', baselineStdScaled: 'bookkeeping', msPerStep: 'bookkeeping', 'restartSpread.bestRestart': 'bookkeeping' } } : {}),
  };
}

function records(roles = true): SweepRecord[] {
  const out: SweepRecord[] = [];
  for (const lr of [0.1, 1, 2]) for (const seed of [0, 1]) out.push({ job: out.length, dir: `0${out.length}-x`, overrides: { 'optimizer.lr': lr, seed }, status: 'completed', summary: inversionSummary(lr, seed, roles) });
  return out;
}
const axes = ['optimizer.lr', 'seed'];

describe('a sweep charts results and lists bookkeeping', () => {
  test('declared bookkeeping fields (and seed, steps, durationSeconds) get no chart; a nested field takes its own role, else its parent\'s', () => {
    expect(chartedFields(records(), axes)).toEqual(['outputDistance', 'tokenAccuracy', 'restartSpread.exactMatches']);
    expect(sweepCharts(records(), axes).map((c) => c.field)).toEqual(['outputDistance', 'tokenAccuracy', 'restartSpread.exactMatches']);
    // Without the plugin's roles the same summaries chart their bookkeeping too: the roles are what keep it out.
    expect(chartedFields(records(false), axes)).toEqual(expect.arrayContaining(['targetNextToken', 'baselineStdScaled', 'msPerStep', 'restartSpread.bestRestart']));
    const parentRole = records().map((r) => ({ ...r, summary: { ...r.summary, summaryRoles: { restartSpread: 'bookkeeping' } } }));
    expect(chartedFields(parentRole, axes)).not.toContain('restartSpread.exactMatches');
  });

  test('roles come from hand-editable files: malformed ones are ignored, and only declared roles count', () => {
    const edited = records().map((r, i) => ({
      ...r,
      summary: { ...r.summary, constructor: i, summaryRoles: i % 2 ? 'bookkeeping' : JSON.parse('{"__proto__": {"outputDistance": "bookkeeping"}, "msPerStep": "nonsense", "targetNextToken": "bookkeeping"}') },
    }));
    // `constructor` has no role from Object.prototype; `__proto__` sets nothing; an unknown role is dropped.
    expect(chartedFields(edited, axes)).toEqual(['outputDistance', 'tokenAccuracy', 'baselineStdScaled', 'msPerStep', 'restartSpread.bestRestart', 'restartSpread.exactMatches', 'constructor']);
  });

  test('the table lists results (numbers and yes/no answers) first, then the bookkeeping that varies', () => {
    expect(tableFields(records(), axes)).toEqual({
      results: ['outputDistance', 'tokenAccuracy', 'exactMatch', 'restartSpread.exactMatches'],
      bookkeeping: ['targetNextToken', 'baselineStdScaled', 'msPerStep', 'restartSpread.bestRestart'],
    });
  });

  test('the page: one figure per result, bookkeeping columns in the table marked as such, roles not a column of sweep.csv', async () => {
    const recs = records();
    const manifest: SweepManifest = { version: 1, config: '/x/sweep.yaml', arguments: [], jobs: recs.map((r) => ({ job: r.job, dir: r.dir, label: '', overrides: r.overrides, configHash: '' })) };
    const html = await renderSweepReport('/nonexistent', manifest, recs);
    expect([...html.matchAll(/<figure class="chart" data-field="([^"]+)"/g)].map((m) => m[1])).toEqual(['outputDistance', 'tokenAccuracy', 'restartSpread.exactMatches']);
    const bookkeepingHeaders = [...html.matchAll(/<th scope="col" class="bookkeeping"[^>]*><button type="button">([^<]*(?:<wbr>[^<]*)*)<\/button>/g)].map((m) => m[1]!.replace(/<wbr>/g, ''));
    expect(bookkeepingHeaders).toEqual(['targetNextToken', 'baselineStdScaled', 'msPerStep', 'restartSpread.bestRestart', 'durationSeconds']);
    expect(html).toContain('Bookkeeping (targetNextToken, baselineStdScaled, msPerStep, restartSpread.bestRestart) is in the table only.');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roles-'));
    writeSweepFiles(dir, recs);
    expect(fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8').split('\n')[0]).not.toContain('summaryRoles');
  });
});
