import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseOverrides } from '../../config/overrides';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { definePlugin, Plugin } from '../../plugin/types';
import { runExperiment } from '../runner';
import { RunDirectory } from '../run-directory';
import { frozenLoss } from '../frozen-loss';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';
import saturatingPlugin from '../../../test-support/plugins/saturating-plugin';
import { tmpfsUnavailable, withTmpfs } from '@repscope/test-support';

const quiet = { progress: 'silent' as const, log: () => {} };

async function run(config: string, overrides: string[] = [], extra: Plugin<Record<string, unknown>>[] = []) {
  const dir = tempDir();
  const file = writeConfig(dir, 'exp.yaml', config);
  const resolved = await resolveExperiment(loadRawConfig(file, parseOverrides(overrides)), testEnvironment(extra));
  const outcome = await runExperiment(resolved, { outDir: path.join(dir, 'run'), ...quiet });
  const has = (name: string) => fs.existsSync(path.join(outcome.dir, name));
  const read = (name: string) => fs.readFileSync(path.join(outcome.dir, name), 'utf8');
  const json = (name: string) => JSON.parse(read(name));
  return { outcome, has, json, read };
}

const saturating = [saturatingPlugin as unknown as Plugin<Record<string, unknown>>];
const SATURATING = 'experiment: saturating\nbackend: cpu\nsteps: 40\n';

describe('divergence that keeps every number finite', () => {
  test('a healthy descent through a LayerNorm completes', async () => {
    const { outcome } = await run(SATURATING, [], saturating);
    expect(outcome.status).toBe('completed');
    expect(outcome.leakedTensors).toBe(0);
  });

  test('lr 1e30 through descentStep: the input blew up, diverged at step 0 with a hint', async () => {
    const { outcome, json } = await run(SATURATING, ['optimizer.lr=1e30'], saturating);
    expect(outcome.status).toBe('diverged');
    expect(outcome.error).toMatch(/^diverged at step 0: the optimised input's mean \|x\| grew from [\d.]+ to [\d.e+]+ \(limit 1\.00e\+6\)\. The step size is far too large/);
    expect(json('summary.json')).toMatchObject({ status: 'diverged', diverged: { step: 0, key: 'input' } });
    expect(outcome.leakedTensors).toBe(0);
  });

  test('lr 1e30 with a hand-written step: the frozen loss is caught when the plugin returns', async () => {
    const { outcome, json } = await run(SATURATING, ['optimizer.lr=1e30', 'useDescentStep=false'], saturating);
    expect(outcome.status).toBe('diverged');
    expect(outcome.error).toMatch(/^diverged at step 1: the loss stopped moving after step 1 \(frozen at [\d.]+ through step 39\)\. The step size is likely so large/);
    const summary = json('summary.json');
    expect(summary).toMatchObject({ status: 'diverged', diverged: { step: 1, key: 'loss' } });
    expect(typeof summary.finalLoss).toBe('number');
  });

  test('a NaN gradient with a finite loss is caught by descentStep', async () => {
    const nanGradient = definePlugin({
      name: 'nan-gradient',
      version: '1.0.0',
      description: 'sqrt at 0 has an infinite derivative',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      async run(ctx) {
        const { tf } = ctx;
        const x = tf.variable(tf.zeros([1, 4]));
        try {
          const { descentStep } = await import('../../optimizer/descent-step');
          descentStep(x, (input) => tf.sum(tf.sqrt(input), -1) as never, ctx.optimizers.create({ kind: 'sgd', lr: 0.1, schedule: { kind: 'constant' } } as never, 1));
          return {};
        } finally {
          x.dispose();
        }
      },
    });
    const { outcome } = await run('experiment: nan-gradient\nbackend: cpu\n', [], [nanGradient]);
    expect(outcome.status).toBe('diverged');
    expect(outcome.error).toMatch(/^diverged at step 0: the gradient is (Infinity|NaN)\. Look for log\(0\)/);
  });

  test('frozenLoss: moving, converged and short series are healthy; a freeze after step 1 is not', () => {
    const series = (values: number[]) => values.map((value, step) => ({ step, value }));
    expect(frozenLoss(series([10, 5, 2.5, 1.2, 0.6, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01]))).toBeUndefined();
    expect(frozenLoss(series([10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(frozenLoss(series([10, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9]))).toBeUndefined();
    expect(frozenLoss(series([10, 2254, 2254, 2254]))).toBeUndefined();
    expect(frozenLoss(series([10, 2254, ...Array(10).fill(2254)]))?.message).toMatch(/frozen at 2254\.00 through step 11/);
    expect(frozenLoss(series([10, 2254, ...Array(9).fill(2254), 2253]))).toBeUndefined();
  });
});

describe('the report step', () => {
  const brokenReport = (name: string, breakIt: (ctx: Parameters<Plugin['run']>[0]) => void) =>
    definePlugin({
      name,
      version: '1.0.0',
      description: 'breaks its report',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      async run(ctx) {
        ctx.artifacts.writeJson('result.json', { answer: 42 });
        breakIt(ctx);
        return { answer: 42 };
      },
    }) as unknown as Plugin<Record<string, unknown>>;

  test('a wrong ctx.report call fails the run at the call, naming plugin and method', async () => {
    const plugin = brokenReport('bad-call', (ctx) => (ctx.report.addText as (t: string) => void)('no title'));
    const { outcome, has, json } = await run('experiment: bad-call\nbackend: cpu\n', [], [plugin]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error!.split('\n')[0]).toBe('plugin "bad-call": ctx.report.addText(title, text, preformatted?): text must be a string (got undefined)');
    expect(has('summary.json')).toBe(false);
    expect(json('status.json').status).toBe('failed');
  });

  test('a plot with a javascript: link renders without it; the run completes (vega used to crash the process)', async () => {
    const spec = { data: { values: [{ a: 1 }] }, mark: { type: 'point', href: 'javascript:alert(1)' }, encoding: { x: { field: 'a', type: 'quantitative' }, href: { value: 'data:text/html,<script>x</script>' } } };
    const plugin = brokenReport('linked-plot', (ctx) => ctx.report.addPlot('links', spec));
    const { outcome, has, read } = await run('experiment: linked-plot\nbackend: cpu\n', [], [plugin]);
    expect(outcome.status).toBe('completed');
    expect(has('report.html')).toBe(true);
    expect(read('report.html')).not.toMatch(/javascript:|data:text\/html/);
    expect(read('report.html')).toContain('<svg');
  });

  test('a plot that would load a file into the report fails the run at the call, naming plugin and key', async () => {
    const plugin = brokenReport('file-plot', (ctx) => ctx.report.addPlot('leak', { data: { url: 'file:///etc/hostname' }, mark: 'text', encoding: { text: { field: 'data' } } }));
    const { outcome, has } = await run('experiment: file-plot\nbackend: cpu\n', [], [plugin]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error!.split('\n')[0]).toBe('plugin "file-plot": ctx.report.addPlot(title, spec): spec must carry its data inline (data.values): spec.data.url would load a file or URL into the report');
    expect(has('summary.json')).toBe(false);
  });

  test('a report that cannot render fails the run: status failed, no summary.json, the numbers kept in status.json', async () => {
    // Through the plugin API every section is checked at the call (and a bad plot renders as a
    // note), so a renderer failure is core's own bug: simulate one by reaching past the interface.
    const plugin = brokenReport('bad-render', (ctx) => (ctx.report as unknown as { sections: unknown[] }).sections.push({ type: 'text', title: 'x', text: undefined }));
    const { outcome, has, json } = await run('experiment: bad-render\nbackend: cpu\n', [], [plugin]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/^report\.html could not be rendered: /);
    expect(has('report.html')).toBe(false);
    expect(has('summary.json')).toBe(false);
    const status = json('status.json');
    expect(status).toMatchObject({ status: 'failed', summary: { answer: 42, status: 'failed' } });
    expect(status.summary.artifacts.map((a: { path: string }) => a.path)).toEqual(['result.json']);
  });
});

describe('the run directory', () => {
  test('an artifact recorded but never written is refused, so summary.artifacts lists only real files', () => {
    const dir = new RunDirectory(tempDir());
    expect(() => dir.record('ghost.png', 'image')).toThrow('artifact "ghost.png" was recorded but not written');
    expect(() => dir.record('.repscope.lock', 'other')).toThrow('reserved');
    expect(dir.listArtifacts()).toEqual([]);
  });

  test('--out naming a file is one line, exit 2, and the file is untouched', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 'exp.yaml', 'experiment: quadratic\nbackend: cpu\n');
    const resolved = await resolveExperiment(loadRawConfig(file, []), testEnvironment());
    await expect(runExperiment(resolved, { outDir: file, ...quiet })).rejects.toMatchObject({ exitCode: 2, message: `${file} is a file, not a folder; choose a folder for --out` });
    expect(fs.readFileSync(file, 'utf8')).toBe('experiment: quadratic\nbackend: cpu\n');
  });

  test('an unfinished run is cleared but its lock-free leftovers only; a lock held by this process refuses', async () => {
    const { acquireFolderLock } = await import('../../util/folder-lock');
    const dir = tempDir();
    const file = writeConfig(dir, 'exp.yaml', 'experiment: quadratic\nbackend: cpu\nsteps: 3\n');
    const out = path.join(dir, 'out');
    const lock = acquireFolderLock(out, 'run');
    const resolved = await resolveExperiment(loadRawConfig(file, []), testEnvironment());
    await expect(runExperiment(resolved, { outDir: out, ...quiet })).rejects.toMatchObject({ exitCode: 2, code: 'E_FOLDER_BUSY' });
    lock.release();
    const outcome = await runExperiment(resolved, { outDir: out, ...quiet });
    expect(outcome.status).toBe('completed');
    expect(fs.readdirSync(out)).not.toContain('.repscope.lock');
  });
});

describe('a disk that is full when the report is written', () => {
  const unavailable = tmpfsUnavailable();
  if (unavailable) console.warn(`skipping the report-time disk-full test: ${unavailable}`);

  (unavailable ? test.skip : test)('fails naming report.html, leaves no summary.json, and status.json says failed, not running', () =>
    withTmpfs(96 * 1024, {}, async (diskDir) => {
      // Fills the disk to within a page of full: what comes after the plugin (report.html) cannot fit.
      const filler = definePlugin({
        name: 'filler',
        version: '1.0.0',
        description: 'writes an artifact that nearly fills the disk',
        optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
        async run(ctx) {
          const { bavail, bsize } = fs.statfsSync(ctx.artifacts.path);
          ctx.artifacts.writeBytes('filler.bin', new Uint8Array(Math.max(0, (bavail - 1) * bsize)), 'other');
          ctx.report.addText('Padding', 'x'.repeat(20_000));
          return { filled: true };
        },
      }) as unknown as Plugin<Record<string, unknown>>;
      const file = writeConfig(tempDir(), 'exp.yaml', 'experiment: filler\nbackend: cpu\n');
      const resolved = await resolveExperiment(loadRawConfig(file, []), testEnvironment([filler]));
      const out = path.join(diskDir, 'run');
      const outcome = await runExperiment(resolved, { outDir: out, ...quiet });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(new RegExp(`^cannot write ${out}/(report\\.html|env\\.json): no space left on device \\(ENOSPC\\)$`));
      expect(fs.existsSync(path.join(out, 'summary.json'))).toBe(false);
      expect(fs.existsSync(path.join(out, 'report.html'))).toBe(false);
      const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
      expect(status).toMatchObject({ status: 'failed', error: outcome.error });
      expect(status.summary.artifacts.map((a: { path: string }) => a.path)).toEqual(['filler.bin']);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }));
});

describe('a write that fails with ENOSPC (stubbed fs, runs everywhere, tmpfs or not)', () => {
  test('metrics.jsonl cannot be appended: failed with one line, status failed, no summary', async () => {
    // The module object itself (the namespace import above is a frozen view of it).
    const nodeFs = require('node:fs') as { writeSync: typeof fs.writeSync };
    const real = nodeFs.writeSync;
    let calls = 0;
    nodeFs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls > 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (real as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync;
    try {
      const { outcome, has, json } = await run('experiment: quadratic\nbackend: cpu\nsteps: 30\n');
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toBe(`cannot write ${path.join(outcome.dir, 'metrics.jsonl')}: no space left on device (ENOSPC)`);
      expect(has('summary.json')).toBe(false);
      expect(json('status.json')).toMatchObject({ status: 'failed', error: outcome.error });
    } finally {
      nodeFs.writeSync = real;
    }
  });
});
