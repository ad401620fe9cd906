import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError } from '../../config/config-error';
import { acquireFolderLock } from '../../util/folder-lock';
import { readJobState } from '../job-state';
import { writeSweepFiles } from '../write-sweep-files';
import { runSweep } from '../run-sweep';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';

const quiet = { progress: 'silent' as const, log: () => {} };
const SWEEP = 'experiment: quadratic\nbackend: cpu\nsteps: 5\nsweep:\n  grid:\n    dim: [2, 3]\n    optimizer.lr: [0.1, 0.2]\n';

describe('running a sweep (in-process)', () => {
  test('2×2 grid: four job folders, sweep.json and sweep.csv; a re-run skips them all', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', SWEEP);
    const out = path.join(dir, 'out');
    const first = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(first.ran).toBe(4);
    expect(fs.readdirSync(out).sort()).toEqual(['.locks', '00-dim=2-lr=0.1', '01-dim=2-lr=0.2', '02-dim=3-lr=0.1', '03-dim=3-lr=0.2', 'jobs.json', 'report.html', 'sweep.csv', 'sweep.json']);
    const rows = parseCsv(fs.readFileSync(path.join(out, 'sweep.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows[3]).toMatchObject({ job: '3', status: 'completed', dim: '3', 'optimizer.lr': '0.2', steps: '5' });
    expect(Number(rows[0]!['finalLoss'])).toBeGreaterThan(0);
    const records = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(records[1]).toMatchObject({ job: 1, overrides: { dim: 2, 'optimizer.lr': 0.2 }, status: 'completed' });
    const again = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(again).toMatchObject({ ran: 0, skipped: 4 });
  });

  test('an unfinished job (no summary.json) is run again, finished ones are not', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', SWEEP);
    const out = path.join(dir, 'out');
    await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    fs.rmSync(path.join(out, '02-dim=3-lr=0.1', 'summary.json'));
    const before = fs.statSync(path.join(out, '00-dim=2-lr=0.1', 'summary.json')).mtimeMs;
    const again = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(again).toMatchObject({ ran: 1, skipped: 3 });
    expect(fs.existsSync(path.join(out, '02-dim=3-lr=0.1', 'summary.json'))).toBe(true);
    expect(fs.statSync(path.join(out, '00-dim=2-lr=0.1', 'summary.json')).mtimeMs).toBe(before);
  });

  test('every job is validated before any runs', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', 'experiment: quadratic\nbackend: cpu\nsweep:\n  grid:\n    dim: [2, 5000]\n');
    const out = path.join(dir, 'out');
    const err = (await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`job 1 (dim=5000): ${file}:5:14 dim: must be <= 1000 (got 5000)`);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('re-running a different sweep into the same folder is refused', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    await runSweep(writeConfig(dir, 's.yaml', SWEEP), { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    await expect(
      runSweep(writeConfig(dir, 's.yaml', SWEEP.replace('steps: 5', 'steps: 6')), { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment()),
    ).rejects.toThrow('holds a finished job run with a different config');
  });

  test('a sweep with other jobs is refused where finished jobs it would not list are, and jobs.json is left as it was', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    await runSweep(writeConfig(dir, 's.yaml', SWEEP), { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    const other = writeConfig(dir, 'other.yaml', 'experiment: quadratic\nbackend: cpu\nsteps: 5\nsweep:\n  grid:\n    dim: [4]\n');
    await expect(runSweep(other, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment())).rejects.toThrow(
      `${out} holds finished jobs of another sweep that this one does not list (00-dim=2-lr=0.1, 01-dim=2-lr=0.2, 02-dim=3-lr=0.1, … (4 in all))`,
    );
    expect(JSON.parse(fs.readFileSync(path.join(out, 'jobs.json'), 'utf8')).jobs).toHaveLength(4);
  });

  test('sweep.csv writes booleans as true/false (not an empty cell for false)', () => {
    const dir = tempDir();
    writeSweepFiles(dir, [
      { job: 0, dir: '00-head=true', overrides: { 'model.head': true }, status: 'completed', summary: { exact: false } },
      { job: 1, dir: '01-head=false', overrides: { 'model.head': false }, status: 'pending', summary: null },
    ]);
    const rows = parseCsv(fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      { job: '0', dir: '00-head=true', status: 'completed', 'model.head': 'true', exact: 'false' },
      { job: '1', dir: '01-head=false', status: 'pending', 'model.head': 'false', exact: '' },
    ]);
  });

  test('a second sweep into a folder a live sweep holds is refused; a job another process is running is left to it', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', SWEEP);
    const out = path.join(dir, 'out');
    const lock = acquireFolderLock(out, 'sweep');
    // Our own pid counts as live, so this stands in for another coordinator.
    await expect(runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment())).rejects.toThrow(/is in use by another repscope process \(sweep, pid/);
    lock.release();
    const jobLock = acquireFolderLock(path.join(out, '.locks', '01-dim=2-lr=0.2'), 'sweep job 1');
    const result = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(result).toMatchObject({ ran: 3, busy: 1 });
    expect(readJobState(out, '01-dim=2-lr=0.2').status).toBe('running');
    jobLock.release();
    expect(readJobState(out, '01-dim=2-lr=0.2').status).toBe('pending');
  });

  test('interrupted before they start, jobs stay pending (not interrupted)', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', SWEEP.replace('steps: 5', 'steps: 50\nstepDelayMs: 20'));
    const out = path.join(dir, 'out');
    const controller = new AbortController();
    const running = runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet, signal: controller.signal }, testEnvironment());
    const status = path.join(out, '00-dim=2-lr=0.1', 'status.json');
    while (!fs.existsSync(status)) await new Promise((r) => setTimeout(r, 20));
    controller.abort('SIGINT');
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(result.records.map((r) => r.status)).toEqual(['interrupted', 'pending', 'pending', 'pending']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')).map((r: { status: string }) => r.status)).toEqual(['interrupted', 'pending', 'pending', 'pending']);
  });
});
