import type { MetricPlotData, MetricPoint } from '../metric-plot-data';
import { isNoisy, metricsChartSpec, movingAverage } from '../metrics-chart';
import { renderReportHtml } from '../render-html';
import { summaryValueHtml } from '../summary-html';

const points = (values: number[]): MetricPoint[] => values.map((value, x) => ({ x, value }));
const plot = (series: [string, MetricPoint[]][], x = { title: 'step', categorical: false }): MetricPlotData => ({ series: new Map(series), x });

describe('report', () => {
  test('arrays and objects in the summary become tables or collapsed details, never a raw JSON line', () => {
    const snapshots = Array.from({ length: 12 }, (_, i) => ({ step: i * 10, decoded: `text ${i}`, topK: [[1, 2], [3, 4]] }));
    const html = summaryValueHtml(snapshots);
    expect(html).toMatch(/^<details><summary>12 rows<\/summary><table class="nested">/);
    expect(html).toContain('<th>decoded</th>');
    expect(summaryValueHtml([0.5, 0.25, 0.125])).toBe('<span class="list">0.500000, 0.250000, 0.125000</span>');
    expect(summaryValueHtml(Array.from({ length: 40 }, (_, i) => i))).toMatch(/^<details><summary>40 values: 0, 1, 2, 3, …<\/summary>/);
    expect(summaryValueHtml({ bestRestart: 1, spread: 0.5 })).toMatch(/^<table class="nested"><tr><th>bestRestart<\/th><td>1<\/td>/);
  });

  test('a noisy curve gets a moving average over the raw values; a smooth one does not', () => {
    const zigzag = Array.from({ length: 200 }, (_, i) => 100 - i * 0.3 + (i % 2 ? 20 : -20));
    const smooth = Array.from({ length: 200 }, (_, i) => 100 - i * 0.3);
    expect(isNoisy(zigzag)).toBe(true);
    expect(isNoisy(smooth)).toBe(false);
    const avg = movingAverage(zigzag, 9);
    expect(Math.abs(avg[100]! - (100 - 100 * 0.3))).toBeLessThan(3);
    const spec = metricsChartSpec(plot([['loss', points(zigzag)], ['distance', points(smooth)]])) as unknown as { concat: { layer: unknown[]; title: unknown }[] };
    expect(spec.concat[0]!.layer).toHaveLength(2);
    expect(spec.concat[1]!.layer).toHaveLength(1);
  });

  test('a series equal to another is drawn once, titled with both names', () => {
    const loss = points([3, 2, 1]);
    const spec = metricsChartSpec(plot([['loss', loss], ['lossMean', loss.map((p) => ({ ...p }))], ['lr', points([1, 0.5, 0.1])]])) as unknown as { concat: { title: string }[] };
    expect(spec.concat.map((c) => c.title)).toEqual(['loss (= lossMean)', 'lr']);
  });

  test('a categorical x-axis is drawn as categories; groups as coloured lines', async () => {
    const layers: MetricPoint[] = ['0', '1', '2'].map((x, i) => ({ x, value: i + 1 }));
    const spec = metricsChartSpec(plot([['meanNorm', layers]], { title: 'layer', categorical: true })) as unknown as { concat: { layer: { encoding: { x: { type: string; title: string } } }[] }[] };
    expect(spec.concat[0]!.layer[0]!.encoding.x).toMatchObject({ type: 'ordinal', title: 'layer' });
    const grouped: MetricPlotData = { ...plot([['loss', [0, 1].flatMap((b) => points([3, 2, 1]).map((p) => ({ ...p, group: String(b) })))]]), groupTitle: 'batch' };
    const html = await renderReportHtml({ title: 't', status: 'completed', config: {}, summary: { status: 'completed' }, series: grouped, sections: [], env: {} });
    expect(html).toContain('<svg');
    expect(html).toMatch(/batch/);
  });
});

describe('ctx.report', () => {
  test('a wrong call fails at the call, naming the method and the section', () => {
    const { ReportBuilder } = jest.requireActual('../report-builder') as typeof import('../report-builder');
    const report = new ReportBuilder();
    expect(() => report.addTable('Layers', ['a', 'b'], [[1, 2], [3]])).toThrow('report.addTable("Layers"): row 1 has 1 cells for 2 columns');
    expect(() => report.addTable('Layers', ['a'], [[{ x: 1 } as never]])).toThrow(/addTable\(title, columns, rows, caption\?\): rows row 0 must be an array of strings, numbers, booleans or null/);
    expect(() => report.addImage('Grid', '/tmp/grid.png')).toThrow(/must be relative to the run directory/);
    expect(() => report.addImages('Grid', [{ path: '../x.png' }])).toThrow(/must be relative to the run directory/);
    expect(() => report.addText('Log', 42 as never)).toThrow(/ctx\.report\.addText\(title, text, preformatted\?\): text must be a string/);
    report.addTable('Layers', ['a', 'b'], [[1, 'x']]);
    report.addImage('Grid', 'grid.png', 'caption', 300);
    expect(report.sections).toHaveLength(2);
  });
});
