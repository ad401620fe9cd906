import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quadraticProject } from '../../../test-support/plugin-packages';
import { runCli, startCli, waitFor } from '../../../test-support/cli';

const project = quadraticProject;

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('sharded sweeps and sweep workers (CLI)', () => {
  test('two shards run concurrently into one folder and together run every job exactly once', async () => {
    const dir = project('experiment: quadratic\nbackend: cpu\nsteps: 15\nstepDelayMs: 30\nsweep:\n  grid:\n    dim: [2, 3]\n    seed: [0, 1, 2]\n');
    const shards = [startCli(['sweep', 'exp.yaml', '--out', 'sw', '--shard', '0/2'], dir), startCli(['sweep', 'exp.yaml', '--out', 'sw', '--shard', '1/2'], dir)];
    const results = await Promise.all(shards.map((s) => s.done));
    for (const r of results) expect(r.code).toBe(0);
    const out = path.join(dir, 'sw');
    const jobs = readJson(path.join(out, 'jobs.json')).jobs as { job: number; dir: string }[];
    expect(jobs).toHaveLength(6);
    const pids = shards.map((s) => s.child.pid);
    for (const j of jobs) {
      expect(readJson(path.join(out, j.dir, 'summary.json')).status).toBe('completed');
      // Run once: by the shard that owns it, and its metrics hold one pass of 15 steps.
      expect(readJson(path.join(out, j.dir, 'env.json')).pid).toBe(pids[j.job % 2]);
      expect(fs.readFileSync(path.join(out, j.dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(15);
    }
    // The aggregate files were merged from the job folders, not left as one shard's view.
    expect((readJson(path.join(out, 'sweep.json')) as { status: string }[]).map((r) => r.status)).toEqual(Array(6).fill('completed'));
    expect(fs.readFileSync(path.join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(7);
    const again = runCli(['sweep', 'sw', '--shard', '1/2'], dir);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('(3 already finished, 0 to run');
    const status = runCli(['sweep', 'sw', '--status'], dir);
    expect(status.stdout.split('\n')[0]).toMatch(/6 jobs — 6 completed$/);
  });

  test('--job-index runs exactly one job; an index outside the sweep is refused', () => {
    const dir = project('experiment: quadratic\nbackend: cpu\nsteps: 3\nsweep:\n  grid:\n    dim: [2, 3, 4]\n');
    const one = runCli(['sweep', 'exp.yaml', '--out', 'sw', '--job-index', '1'], dir);
    expect(one.code).toBe(0);
    const done = fs.readdirSync(path.join(dir, 'sw')).filter((d) => fs.existsSync(path.join(dir, 'sw', d, 'summary.json')));
    expect(done).toEqual(['01-dim=3']);
    const bad = runCli(['sweep', 'sw', '--job-index', '3'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('no job selected: the sweep has 3 jobs (indices 0–2)');
    const status = runCli(['status', 'sw'], dir);
    expect(status.stdout).toMatch(/3 jobs — 1 completed, 2 pending/);
  });

  test('a sweep worker killed mid-job leaves status.json saying killed, and the sweep report lists it', async () => {
    const dir = project('experiment: quadratic\nbackend: cpu\nsteps: 200\nstepDelayMs: 20\nsweep:\n  grid:\n    dim: [2, 3]\n');
    const proc = startCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '2'], dir);
    const status = path.join(dir, 'sw', '00-dim=2', 'status.json');
    await waitFor(() => fs.existsSync(status) && readJson(status).status === 'running');
    const workerPid = readJson(status).pid as number;
    expect(workerPid).not.toBe(proc.child.pid);
    process.kill(workerPid, 'SIGKILL');
    const r = await proc.done;
    expect(r.code).toBe(1);
    expect(readJson(status)).toMatchObject({ status: 'killed', error: 'worker exited (SIGKILL) during the job' });
    expect(readJson(path.join(dir, 'sw', '01-dim=3', 'summary.json')).status).toBe('completed');
    const html = fs.readFileSync(path.join(dir, 'sw', 'report.html'), 'utf8');
    expect(html).toContain('Jobs that did not finish');
    expect(html).toContain('worker exited (SIGKILL) during the job');
  });

  test('with --jobs 2 each worker starts wasm with its share of the cores, recorded in env.json', () => {
    const dir = project('experiment: quadratic\nbackend: wasm\nsteps: 3\nsweep:\n  grid:\n    dim: [2, 3]\n');
    const r = runCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '2'], dir, 120_000, { REPSCOPE_WASM_THREADS: '' });
    expect(r.code).toBe(0);
    const share = Math.max(1, Math.min(8, Math.floor(os.availableParallelism() / 2)));
    for (const job of ['00-dim=2', '01-dim=3']) expect(readJson(path.join(dir, 'sw', job, 'env.json')).backend).toMatchObject({ name: 'wasm', threads: share });
  });

  test('a second whole sweep into a folder a running sweep holds is refused with one line', async () => {
    const dir = project('experiment: quadratic\nbackend: cpu\nsteps: 100\nstepDelayMs: 20\nsweep:\n  grid:\n    dim: [2, 3]\n');
    const first = startCli(['sweep', 'exp.yaml', '--out', 'sw'], dir);
    await waitFor(() => fs.existsSync(path.join(dir, 'sw', '.repscope.lock')));
    const second = runCli(['sweep', 'exp.yaml', '--out', 'sw'], dir);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`is in use by another repscope process (sweep, pid ${first.child.pid}`);
    expect((await first.done).code).toBe(0);
  });
});
