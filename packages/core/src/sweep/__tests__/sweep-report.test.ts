import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSweepFiles, type SweepRecord } from '../write-sweep-files';
import { isTrainingStepAxis, trainingStepOf } from '../training-step';
import { sweepCharts } from '../sweep-charts';
import { chartedFields } from '../result-fields';
import { renderSweepReport } from '../sweep-report';
import type { SweepManifest } from '../manifest';

function record(job: number, overrides: Record<string, unknown>, summary: Record<string, unknown> | null, status: SweepRecord['status'] = 'completed', error?: string): SweepRecord {
  return { job, dir: `0${job}-x`, overrides, status, summary, ...(error ? { error } : {}) };
}

type Layer = { mark: { type: string }; encoding: Record<string, { field: string }> };
const data = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;
const layers = (spec: unknown) => (spec as { layer: Layer[] }).layer;

describe('the sweep report', () => {
  // depth × head × seed: 8 jobs; `exact` differs, `steps` is constant and `seed` is an axis.
  const records: SweepRecord[] = [];
  let job = 0;
  for (const depth of [1, 12]) for (const head of [true, false]) for (const seed of [0, 1]) {
    records.push(record(job++, { 'model.depth': depth, 'model.head': head, seed }, { steps: 10, finalLoss: depth * 10 + (head ? 1 : 2) + seed, exact: false, seed }));
  }
  const axes = ['model.depth', 'model.head', 'seed'];

  test('two swept axes: one chart per result, the second axis as colour; seeds folded into mean and min–max', () => {
    expect(chartedFields(records, axes)).toEqual(['finalLoss']);
    const charts = sweepCharts(records, axes);
    expect(charts.map((c) => `${c.field} vs ${c.axis} by ${c.colour.join(',')}`)).toEqual(['finalLoss vs model.depth by model.head']);
    // One point per (depth, head): head is the colour, seed is folded.
    expect(data(charts[0]!.spec)).toEqual([
      { x: 1, series: 'true', y: 11.5, lo: 11, hi: 12, n: 2 },
      { x: 1, series: 'false', y: 12.5, lo: 12, hi: 13, n: 2 },
      { x: 12, series: 'true', y: 121.5, lo: 121, hi: 122, n: 2 },
      { x: 12, series: 'false', y: 122.5, lo: 122, hi: 123, n: 2 },
    ]);
    expect(layers(charts[0]!.spec).map((l) => l.mark.type)).toEqual(['errorband', 'line']);
    expect(layers(charts[0]!.spec)[1]!.encoding['color']).toMatchObject({ field: 'series', title: 'model.head', scale: { domain: ['true', 'false'] } });
    // A value keeps its colour in a chart where the other has no data (the colour scale lists every job's value).
    const headless = records.map((r) => (r.overrides['model.head'] ? { ...r, summary: { ...r.summary, finalLoss: null } } : r));
    const [partial] = sweepCharts(headless, axes);
    expect(data(partial!.spec).map((p) => p['series'])).toEqual(['false', 'false']);
    expect(layers(partial!.spec)[1]!.encoding['color']).toMatchObject({ scale: { domain: ['true', 'false'] } });
  });

  test('a boolean axis has no order: points with the seed spread as error bars, no line between true and false', () => {
    const headOnly = records.filter((r) => r.overrides['model.depth'] === 1).map((r) => ({ ...r, overrides: { 'model.head': r.overrides['model.head'], seed: r.overrides['seed'] } }));
    const [chart, ...more] = sweepCharts(headOnly, ['model.head', 'seed']);
    expect(more).toHaveLength(0);
    expect(chart!.axis).toBe('model.head');
    expect(data(chart!.spec).map((p) => p['x'])).toEqual(['true', 'false']);
    expect(layers(chart!.spec).map((l) => l.mark.type)).toEqual(['rule', 'point']);
  });

  test('with two axes the numeric one goes along x even when listed second; three axes get a chart each', () => {
    const [chart] = sweepCharts(records, ['model.head', 'model.depth', 'seed']);
    expect({ axis: chart!.axis, colour: chart!.colour }).toEqual({ axis: 'model.depth', colour: ['model.head'] });
    const both = records.map((r) => ({ ...r, overrides: { ...r.overrides, lr: r.job % 2 ? 0.1 : 0.2 } }));
    expect(sweepCharts(both, ['model.depth', 'model.head', 'lr']).map((c) => `${c.axis} by ${c.colour.join(',')}`)).toEqual(['model.depth by model.head,lr', 'model.head by model.depth,lr', 'lr by model.depth,model.head']);
  });

  test('without a seed axis: one line per value of the other axis, no band; a seed-only sweep charts against seed', () => {
    const noSeed = records.filter((r) => r.overrides['seed'] === 0).map((r) => ({ ...r, overrides: { 'model.depth': r.overrides['model.depth'], 'model.head': r.overrides['model.head'] } }));
    const charts = sweepCharts(noSeed, ['model.depth', 'model.head']);
    expect(charts).toHaveLength(1);
    expect(layers(charts[0]!.spec).map((l) => l.mark.type)).toEqual(['line']);
    const seedsOnly = records.slice(0, 2).map((r) => ({ ...r, overrides: { seed: r.overrides['seed'] } }));
    expect(sweepCharts(seedsOnly, ['seed']).map((c) => c.axis)).toEqual(['seed']);
  });

  test('the page: every job with its axes, status and a link; the failed one with its error line; an SVG per chart', async () => {
    const withFailure = [...records.slice(0, 7), record(7, { 'model.depth': 12, 'model.head': false, seed: 1 }, null, 'failed', 'planned failure at step 3')];
    const manifest: SweepManifest = { version: 1, config: '/x/sweep.yaml', arguments: ['seed=0,1'], jobs: withFailure.map((r) => ({ job: r.job, dir: r.dir, label: '', overrides: r.overrides, configHash: '' })) };
    const html = await renderSweepReport('/nonexistent', manifest, withFailure);
    expect(html).toContain('8 jobs: 7 completed, 1 failed');
    expect(html.match(/<tr><td>/g)).toHaveLength(8 + 1);
    expect(html).toContain('<h2>Jobs that did not finish</h2>');
    expect(html).toContain('planned failure at step 3');
    expect([...html.matchAll(/<figure class="chart" data-field="finalLoss" data-axis="([^"]+)" data-colour="([^"]+)"><svg/g)].map((m) => `${m[1]} by ${m[2]}`)).toEqual(['model.depth by model.head']);
  });
});

describe('a sweep over checkpoints along training', () => {
  const steps = [0, 1, 512, 1000, 143000];
  const records = steps.map((step, i) => record(i, { 'model.weights': `hf:EleutherAI/pythia-160m@step${step}` }, { tokenAccuracy: i / 10 }));

  test('is charted against the training step, on an axis that keeps step 0', async () => {
    const [chart] = sweepCharts(records, ['model.weights']);
    const manifest: SweepManifest = { version: 1, config: '/x/sweep.yaml', arguments: [], jobs: records.map((r) => ({ job: r.job, dir: r.dir, label: '', overrides: r.overrides, configHash: '' })) };
    expect(await renderSweepReport('/nonexistent', manifest, records)).toMatch(/data-axis="model.weights"><svg/);
    expect(data(chart!.spec).map((p) => p['x'])).toEqual(steps);
    const x = layers(chart!.spec)[0]!.encoding['x'] as unknown as { type: string; title: string; scale: { type: string } };
    expect(x).toMatchObject({ type: 'quantitative', title: 'model.weights (training step)', scale: { type: 'symlog' } });
  });

  test('plugin-train checkpoint folders count too; an axis with one other value does not', () => {
    expect(trainingStepOf('runs/train/checkpoints/step-000050')).toBe(50);
    expect(trainingStepOf('runs/train/final')).toBeUndefined();
    expect(isTrainingStepAxis(['a/step-000050', 'a/final'])).toBe(false);
  });

  test('sweep.csv carries the step as a numeric column', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steps-'));
    writeSweepFiles(dir, records);
    const [header, ...rows] = fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('job,dir,status,model.weights,model.weights:trainingStep,tokenAccuracy');
    expect(rows.map((r) => r.split(',')[4])).toEqual(steps.map(String));
  });
});
