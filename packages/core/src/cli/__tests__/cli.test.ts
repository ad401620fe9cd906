import * as fs from 'node:fs';
import * as path from 'node:path';
import { quadraticEntry, tempDir, writeConfig, writePluginPackage } from '../../../test-support/plugin-packages';
import { runCli, startCli, waitFor } from '../../../test-support/cli';

/** A temp project with the quadratic plugin installed in node_modules (compiled JS). */
function project(config: string): { dir: string; file: string } {
  const dir = tempDir();
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(true) });
  return { dir, file: writeConfig(dir, 'exp.yaml', config) };
}

describe('the repscope CLI', () => {
  test('a config with three mistakes prints three path-first lines, exits 2 and creates nothing', () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nstepz: 3\ndim: true\noptimizer: { lr: -1 }\n');
    for (const command of ['validate', 'run']) {
      const r = runCli([command, 'exp.yaml'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        'exp.yaml:3:1 stepz: unknown key. Did you mean "steps"?',
        'exp.yaml:4:6 dim: must be an integer (got true)',
        'exp.yaml:5:18 optimizer.lr: must be > 0 (got -1)',
      ]);
    }
    expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  test('run, with overrides, into the default run directory', () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 4\n');
    const r = runCli(['run', 'exp.yaml', 'optimizer.lr=0.01', 'name=tiny'], dir);
    expect(r.stderr).toContain('backend: cpu');
    expect(r.code).toBe(0);
    const runs = fs.readdirSync(path.join(dir, 'runs', 'quadratic', 'tiny'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{8}T\d{6}\.\d{3}Z$/);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'quadratic', 'tiny', runs[0]!, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', steps: 4, name: 'tiny' });
    expect(r.stdout).toContain('completed: ');
  });

  test('validate accepts a good config and every job of a sweep', () => {
    const { dir } = project('experiment: quadratic\nsweep: { grid: { dim: [1, 2, 3] } }\n');
    const r = runCli(['validate', 'exp.yaml', 'steps=2,3'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid sweep of 6 jobs');
  });

  test('an explicit backend that cannot start is an error (exit 2)', () => {
    const { dir } = project('experiment: quadratic\n');
    const r = runCli(['run', 'exp.yaml', '--backend', 'tensorflow'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^backend "tensorflow" is not available: /);
    expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  test('every command has --help; unknown commands and options exit 2', () => {
    const { dir } = project('experiment: quadratic\n');
    for (const command of ['run', 'sweep', 'validate', 'plugins', 'models', 'activations']) {
      const r = runCli([command, '--help'], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: repscope ${command}`);
    }
    expect(runCli(['frobnicate'], dir).code).toBe(2);
    expect(runCli(['run', 'exp.yaml', '--turbo'], dir).code).toBe(2);
  });

  test('plugins --json lists discovered plugins', () => {
    const { dir } = project('experiment: quadratic\n');
    const r = runCli(['plugins', '--json'], dir);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; status: string; source: string }[];
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'quadratic', status: 'ok', source: 'node_modules' })]));
  });

  test('Ctrl-C stops a run cleanly: exit 130, status interrupted, no summary.json', async () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 100000\nstepDelayMs: 5\n');
    const proc = startCli(['run', 'exp.yaml', '--out', 'out'], dir);
    await waitFor(() => fs.existsSync(path.join(dir, 'out', 'metrics.jsonl')) && fs.statSync(path.join(dir, 'out', 'metrics.jsonl')).size > 0);
    proc.child.kill('SIGINT');
    const r = await proc.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out', 'status.json'), 'utf8')).status).toBe('interrupted');
    expect(fs.existsSync(path.join(dir, 'out', 'summary.json'))).toBe(false);
  });

  test('a 2×2 sweep with --jobs 2: four job folders and sweep.csv; killed midway, a re-run completes only the missing jobs', async () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 40\nstepDelayMs: 25\nsweep:\n  grid:\n    dim: [2, 3]\n    seed: [0, 1]\n');
    const proc = startCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '2'], dir);
    const finished = () => fs.readdirSync(path.join(dir, 'sw')).filter((d) => fs.existsSync(path.join(dir, 'sw', d, 'summary.json')));
    await waitFor(() => fs.existsSync(path.join(dir, 'sw')) && finished().length >= 1);
    proc.child.kill('SIGKILL');
    await proc.done;
    await new Promise((r) => setTimeout(r, 500));
    const done = finished().length;
    expect(done).toBeLessThan(4);
    const again = runCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '2'], dir);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`(${done} already finished, ${4 - done} to run, 2 at a time)`);
    expect(finished()).toHaveLength(4);
    const csv = fs.readFileSync(path.join(dir, 'sw', 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^job,dir,status,dim,seed,/);
    expect(csv.slice(1).every((line) => line.includes(',completed,'))).toBe(true);
  });
});
