import * as fs from 'node:fs';
import * as path from 'node:path';
import { quadraticProject } from '../../../test-support/plugin-packages';
import { runCli, waitFor } from '../../../test-support/cli';
import { hasSlurm, slurmCommand } from '../slurm/slurm-commands';

/*
 * Against a real single-node Slurm (scripts/slurm-local.sh start; .ci/run starts it before
 * the suite). Skipped only where the Slurm client is not installed at all.
 */
const slurm = hasSlurm();
if (!slurm) process.stdout.write('slurm.test.ts: skipped — sbatch is not on PATH (run scripts/slurm-local.sh start as root to install and start a local cluster)\n');
const describeSlurm = slurm ? describe : describe.skip;

const project = quadraticProject;

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const queueListing = () => slurmCommand('squeue', ['--noheader', '--array', '--format=%K|%T']).stdout;

describeSlurm('sweeps on a local Slurm cluster', () => {
  test('a 4-job array runs to completion; status counts; the sweep report charts the result against one axis, coloured by the other', () => {
    const dir = project('experiment: quadratic\nbackend: wasm\nsteps: 5\nsweep:\n  grid:\n    dim: [2, 3]\n    optimizer.lr: [0.1, 0.2]\nlauncher:\n  kind: slurm\n  time: 10\n  setup: ["echo repscope-setup-line"]\n');
    const r = runCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '2', '--cpus-per-task', '1', '--wait'], dir, 300_000);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/4 jobs in .*: 0 finished, 0 queued or running, 4 submitted as Slurm job array \d+/);
    expect(r.stdout).toMatch(/4 jobs — 4 completed/);
    const out = path.join(dir, 'sw');
    const script = fs.readFileSync(path.join(out, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-3%2\n');
    expect(script).toContain('#SBATCH --time=10\n');
    expect(script).toContain('#SBATCH --cpus-per-task=1\n');
    expect(script).toContain('\necho repscope-setup-line\n');
    const logs = fs.readdirSync(path.join(out, 'slurm')).filter((f) => f.endsWith('.out'));
    expect(logs).toHaveLength(4);
    for (const log of logs) expect(fs.readFileSync(path.join(out, 'slurm', log), 'utf8')).toContain('repscope-setup-line');
    // Each task ran with the one core Slurm gave it, not one thread per core of the node.
    expect(readJson(path.join(out, '00-dim=2-lr=0.1', 'env.json')).backend).toMatchObject({ name: 'wasm', threads: 1 });
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    const charts = [...html.matchAll(/<figure class="chart" data-field="([^"]+)" data-axis="([^"]+)" data-colour="([^"]+)">\s*<svg/g)].map((m) => `${m[1]} vs ${m[2]} by ${m[3]}`);
    expect(charts).toEqual(['finalLoss vs dim by optimizer.lr']);
    expect(html).toContain('href="00-dim=2-lr=0.1/report.html"');
    const status = runCli(['sweep', 'sw', '--status'], dir);
    expect(status.stdout.split('\n')[0]).toMatch(/4 jobs — 4 completed$/);
  });

  test('scancel one task, then re-running submits only that job and the sweep completes', async () => {
    const dir = project('experiment: quadratic\nbackend: cpu\nsteps: 60\nstepDelayMs: 100\nsweep:\n  grid:\n    dim: [2, 3]\n    seed: [0, 1]\n');
    const first = runCli(['sweep', 'exp.yaml', '--out', 'sw', '--launcher', 'slurm', '--jobs', '2'], dir);
    expect(first.code).toBe(0);
    const jobId = /Slurm job array (\d+)/.exec(first.stdout)![1]!;
    const out = path.join(dir, 'sw');
    const status1 = path.join(out, '01-dim=2-seed=1', 'status.json');
    await waitFor(() => fs.existsSync(status1) && readJson(status1).status === 'running', 120_000, 200);
    expect(slurmCommand('scancel', [`${jobId}_1`]).ok).toBe(true);
    await waitFor(() => !slurmCommand('squeue', ['--noheader', '--array', `--jobs=${jobId}`, '--format=%i']).stdout.trim(), 180_000, 500);
    expect(queueListing()).not.toContain(`${jobId}_`);

    const status = runCli(['status', 'sw'], dir);
    expect(status.stdout.split('\n')[0]).toMatch(/4 jobs — 3 completed, 1 (interrupted|killed)$/);
    expect(status.stdout).toMatch(/\n1 +(interrupted|killed) .*01-dim=2-seed=1/);

    const again = runCli(['sweep', 'sw', '--launcher', 'slurm', '--wait'], dir, 300_000);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/4 jobs in .*: 3 finished, 0 queued or running, 1 submitted as Slurm job array \d+/);
    expect(fs.readFileSync(path.join(out, 'slurm', 'sweep.sbatch'), 'utf8')).toContain('#SBATCH --array=1\n');
    const submissions = readJson(path.join(out, 'slurm', 'submissions.json')) as { jobs: number[] }[];
    expect(submissions.map((s) => s.jobs)).toEqual([[0, 1, 2, 3], [1]]);
    expect(again.stdout).toMatch(/4 jobs — 4 completed/);
    const nothing = runCli(['sweep', 'sw', '--launcher', 'slurm'], dir);
    expect(nothing.stdout).toContain('4 finished, 0 queued or running; nothing to submit');
  });
});
