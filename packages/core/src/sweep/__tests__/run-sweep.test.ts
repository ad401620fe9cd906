import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError } from '../../config/config-error';
import { runSweep } from '../run-sweep';
import { tempDir, writeConfig } from '../../test-support/plugin-packages';
import { testEnvironment } from '../../test-support/environment';

const quiet = { progress: 'silent' as const, log: () => {} };
const SWEEP = 'experiment: quadratic\nbackend: cpu\nsteps: 5\nsweep:\n  grid:\n    dim: [2, 3]\n    optimizer.lr: [0.1, 0.2]\n';

describe('running a sweep (in-process)', () => {
  test('2×2 grid: four job folders, sweep.json and sweep.csv; a re-run skips them all', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', SWEEP);
    const out = path.join(dir, 'out');
    const first = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(first.ran).toBe(4);
    expect(fs.readdirSync(out).sort()).toEqual(['0-dim=2-lr=0.1', '1-dim=2-lr=0.2', '2-dim=3-lr=0.1', '3-dim=3-lr=0.2', 'sweep.csv', 'sweep.json']);
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
    fs.rmSync(path.join(out, '2-dim=3-lr=0.1', 'summary.json'));
    const before = fs.statSync(path.join(out, '0-dim=2-lr=0.1', 'summary.json')).mtimeMs;
    const again = await runSweep(file, { overrides: [], axes: [], outDir: out, ...quiet }, testEnvironment());
    expect(again).toMatchObject({ ran: 1, skipped: 3 });
    expect(fs.existsSync(path.join(out, '2-dim=3-lr=0.1', 'summary.json'))).toBe(true);
    expect(fs.statSync(path.join(out, '0-dim=2-lr=0.1', 'summary.json')).mtimeMs).toBe(before);
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
});
