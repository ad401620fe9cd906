import * as fs from 'node:fs';
import * as path from 'node:path';
import { quadraticEntry, tempDir, writeConfig, writePluginPackage, testPluginEntry } from '../../../test-support/plugin-packages';
import { runCli, startCli, waitFor } from '../../../test-support/cli';
import { tmpfsUnavailable, withTmpfs } from '@repscope/test-support';

/** A temp project with the quadratic and saturating test plugins installed (compiled JS). */
function project(config: string): { dir: string; file: string } {
  const dir = tempDir();
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(true) });
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-saturating'), {
    packageName: 'repscope-plugin-saturating',
    entry: testPluginEntry('saturating-plugin'),
  });
  return { dir, file: writeConfig(dir, 'exp.yaml', config) };
}

// Real processes on a shared, loaded machine: generous timeouts (nothing here is a speed check).
jest.setTimeout(120_000);

const SLOW = 'experiment: quadratic\nbackend: cpu\nsteps: 100000\nstepDelayMs: 5\n';
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const hasMetrics = (out: string) => () => fs.existsSync(path.join(out, 'metrics.jsonl')) && fs.statSync(path.join(out, 'metrics.jsonl')).size > 0;

describe('one writer per run folder', () => {
  test('a second run into a live run folder is refused with one line (exit 2); the first run is untouched', async () => {
    const { dir } = project(SLOW);
    const out = path.join(dir, 'out');
    const first = startCli(['run', 'exp.yaml', '--out', 'out'], dir);
    await waitFor(hasMetrics(out));
    const second = runCli(['run', 'exp.yaml', '--out', 'out', 'steps=3'], dir);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/out is in use by another repscope process \(run, pid \d+ on .+ since .+\)/);
    const linesBefore = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').split('\n').length;
    await waitFor(() => fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').split('\n').length > linesBefore + 5);
    expect(readJson(path.join(out, 'status.json')).status).toBe('running');
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    expect(fs.existsSync(path.join(out, '.repscope.lock'))).toBe(false);
    // Once the first has stopped, the folder (an unfinished run) can be reused.
    const third = runCli(['run', 'exp.yaml', '--out', 'out', 'steps=3', 'stepDelayMs=0'], dir);
    expect(third.code).toBe(0);
  });
});

describe('status.json after a signal', () => {
  test.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s stops the run at a step boundary: status interrupted, the signal named, exit %d', async (signal, code) => {
    const { dir } = project(SLOW);
    const out = path.join(dir, 'out');
    const proc = startCli(['run', 'exp.yaml', '--out', 'out'], dir);
    await waitFor(hasMetrics(out));
    proc.child.kill(signal);
    const r = await proc.done;
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`interrupted by ${signal}`);
    expect(readJson(path.join(out, 'status.json'))).toMatchObject({ status: 'interrupted', signal, error: `interrupted by ${signal}` });
    expect(fs.existsSync(path.join(out, 'summary.json'))).toBe(false);
    expect(fs.existsSync(path.join(out, '.repscope.lock'))).toBe(false);
  });

  test('a second Ctrl-C quits at once and status.json says killed', async () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 100\nstepDelayMs: 5000\n');
    const out = path.join(dir, 'out');
    const proc = startCli(['run', 'exp.yaml', '--out', 'out'], dir);
    await waitFor(hasMetrics(out));
    proc.child.kill('SIGINT');
    await waitFor(() => proc.output().stderr.includes('interrupting (SIGINT)'));
    proc.child.kill('SIGINT');
    const r = await proc.done;
    expect(r.code).toBe(130);
    expect(readJson(path.join(out, 'status.json'))).toMatchObject({ status: 'killed', error: 'killed by a second SIGINT before the run could stop cleanly' });
    expect(fs.existsSync(path.join(out, '.repscope.lock'))).toBe(false);
  });
});

describe('a run folder that cannot be written', () => {
  test('--out naming an existing file: one line, exit 2', () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 3\n');
    fs.writeFileSync(path.join(dir, 'taken'), 'data');
    const r = runCli(['run', 'exp.yaml', '--out', 'taken'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${path.join(fs.realpathSync(dir), 'taken')} is a file, not a folder; choose a folder for --out`);
  });

  const unavailable = tmpfsUnavailable();
  if (unavailable) console.warn(`skipping the disk-full and read-only tests: ${unavailable}`);

  (unavailable ? test.skip : test)('a disk that fills up mid-run: one line naming the file, exit 1, status failed, no summary', () =>
    withTmpfs(64 * 1024, {}, (diskDir) => {
      const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 100000\n');
      const out = path.join(diskDir, 'run');
      const r = runCli(['run', 'exp.yaml', '--out', out], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`failed: cannot write ${path.join(out, 'metrics.jsonl')}: no space left on device (ENOSPC)`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readJson(path.join(out, 'status.json'))).toMatchObject({ status: 'failed', error: expect.stringContaining('ENOSPC') });
      expect(fs.existsSync(path.join(out, 'summary.json'))).toBe(false);
      expect(fs.existsSync(path.join(out, '.repscope.lock'))).toBe(false);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }));

  (unavailable ? test.skip : test)('a read-only --out: one line naming the folder, exit 1', () =>
    withTmpfs(64 * 1024, { readOnly: true }, (diskDir) => {
      const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 3\n');
      const out = path.join(diskDir, 'run');
      const r = runCli(['run', 'exp.yaml', '--out', out], dir);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`cannot write ${out}: read-only file system (EROFS)`);
    }));
});

describe('divergence from the command line', () => {
  test('lr 1e30 through a LayerNorm is a failure (exit 1) with a hint, not "completed"', () => {
    const { dir } = project('experiment: saturating\nbackend: cpu\nsteps: 50\n');
    const r = runCli(['run', 'exp.yaml', '--out', 'out', 'optimizer.lr=1e30'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/diverged: diverged at step 0: the optimised input's mean \|x\| grew .*lower the learning rate/);
    expect(readJson(path.join(dir, 'out', 'summary.json')).status).toBe('diverged');
  });
});
