import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parse as parseYaml } from 'yaml';
import { parseOverrides } from '../../config/overrides';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { definePlugin, Plugin } from '../../plugin/types';
import { l1Metric } from '../../metric/builtin-metrics';
import { runExperiment } from '../runner';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';

const quiet = { progress: 'silent' as const, log: () => {} };

async function run(config: string, overrides: string[] = [], env = testEnvironment()) {
  const dir = tempDir();
  const file = writeConfig(dir, 'exp.yaml', config);
  const resolved = await resolveExperiment(loadRawConfig(file, parseOverrides(overrides)), env);
  const outcome = await runExperiment(resolved, { outDir: path.join(dir, 'run'), ...quiet });
  const read = (name: string) => fs.readFileSync(path.join(outcome.dir, name), 'utf8');
  return { outcome, dir: outcome.dir, read, resolved };
}

const BASE = 'experiment: quadratic\nbackend: cpu\nsteps: 30\n';

describe('a run', () => {
  test('writes config, env, metrics, report and summary', async () => {
    const { outcome, read, dir, resolved } = await run(BASE);
    expect(outcome.status).toBe('completed');
    expect(parseYaml(read('config.yaml'))).toEqual(resolved.config);
    expect(JSON.parse(read('env.json'))).toMatchObject({ backend: { name: 'cpu' }, plugin: { name: 'quadratic' }, leakedTensors: 0 });
    const lines = read('metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    expect(lines[0]).toMatchObject({ step: 0 });
    expect(lines[29].loss).toBeLessThan(lines[0].loss);
    const summary = JSON.parse(read('summary.json'));
    expect(summary).toMatchObject({ status: 'completed', experiment: 'quadratic', seed: 0, backend: 'cpu', steps: 30 });
    expect(summary.artifacts.map((a: { path: string }) => a.path)).toEqual(['report.html', 'solution.json']);
    expect(read('report.html')).toContain('<svg');
    expect(JSON.parse(read('status.json')).status).toBe('completed');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('same config and seed give identical summary numbers; another seed does not', async () => {
    const a = JSON.parse((await run(BASE)).read('summary.json'));
    const b = JSON.parse((await run(BASE)).read('summary.json'));
    const c = JSON.parse((await run(BASE, ['seed=1'])).read('summary.json'));
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(c.finalLoss).not.toBe(a.finalLoss);
  });

  test('a NaN/Inf loss stops the run as diverged, with a summary that says so', async () => {
    const { outcome, read } = await run(BASE, ['optimizer.lr=1e30', 'optimizer.schedule.kind=constant']);
    expect(outcome.status).toBe('diverged');
    const summary = JSON.parse(read('summary.json'));
    expect(summary.status).toBe('diverged');
    expect(summary.error).toMatch(/^diverged at step \d+: loss is (NaN|Infinity)/);
  });

  test('a crash leaves status failed and no summary.json', async () => {
    const { outcome, dir } = await run(BASE, ['failAt=3']);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('planned failure at step 3');
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).status).toBe('failed');
    expect(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  test('holds a constant number of tensors while it runs and leaks none', async () => {
    const before = tf.memory().numTensors;
    const { read, outcome } = await run(BASE.replace('steps: 30', 'steps: 300'));
    const counts = read('metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l).tensors as number);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(outcome.leakedTensors).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a finished run directory is never overwritten; a foreign folder is refused', async () => {
    const { dir, resolved } = await run(BASE);
    await expect(runExperiment(resolved, { outDir: dir, ...quiet })).rejects.toThrow('already holds a finished run');
    const foreign = tempDir();
    fs.writeFileSync(path.join(foreign, 'thesis.tex'), 'precious');
    await expect(runExperiment(resolved, { outDir: foreign, ...quiet })).rejects.toThrow('is not empty and is not a run directory');
    expect(fs.readFileSync(path.join(foreign, 'thesis.tex'), 'utf8')).toBe('precious');
  });

  test('registrations a plugin makes stay inside its run', async () => {
    const registering: Plugin<Record<string, unknown>> = definePlugin({
      name: 'registers',
      version: '1.0.0',
      description: 'registers a metric',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      register: (r) => r.metrics.register('plugin-l1', { ...l1Metric, name: 'plugin-l1' }),
      run: async (ctx) => ({ hasMetric: ctx.registries.metrics.has('plugin-l1') }),
    });
    const env = testEnvironment([registering]);
    const first = await run('experiment: registers\nbackend: cpu\n', [], env);
    const second = await run('experiment: registers\nbackend: cpu\n', [], env);
    expect(first.outcome.summary?.['hasMetric']).toBe(true);
    expect(second.outcome.summary?.['hasMetric']).toBe(true);
    expect(env.baseRegistries.metrics.has('plugin-l1')).toBe(false);
    const other = await run(BASE, [], env);
    expect(other.resolved.registries.metrics.has('plugin-l1')).toBe(false);
  });
});
