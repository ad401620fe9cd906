import * as fs from 'node:fs';
import * as path from 'node:path';
import { submitSlurmSweep } from '../slurm/submit';
import { ConfigError } from '../../config/config-error';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';
import { mergeLauncherFlags } from '../launcher';
import { planSweep } from '../plan';
import { arraySpec } from '../slurm/array-spec';
import { renderBatchScript } from '../slurm/batch-script';
import { threadShare } from '../thread-share';

const BASE = 'experiment: quadratic\nbackend: cpu\nsweep:\n  grid:\n    dim: [2, 3]\n';

describe('launcher settings and the Slurm batch script', () => {
  test('the launcher block is validated with the config, each problem located; flags are checked too', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', `${BASE}launcher:\n  partiton: cpu\n  time: one hour\n  setup: ["ok", 3]\n`);
    const err = (await planSweep(file, { overrides: [], axes: [] }, testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.split('\n')).toEqual([
      `${file}:7:3 launcher.partiton: unknown key. Did you mean "partition"?`,
      `${file}:8:9 launcher.time: must match ^(\\d+-)?\\d+(:\\d{1,2}){0,2}$ (got "one hour")`,
      `${file}:9:17 launcher.setup[1]: must be a string (got 3)`,
    ]);
    expect(() => mergeLauncherFlags({}, { partition: 'cpu\n#SBATCH --uid=0' })).toThrow(/^option --partition launcher.partition: must match/);
    expect(mergeLauncherFlags({ partition: 'a', mem: '4G' }, { partition: 'b', cpusPerTask: 4 })).toEqual({ partition: 'b', mem: '4G', cpusPerTask: 4 });
  });

  test('a submission refused for its launcher settings or its folder name creates nothing', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 's.yaml', BASE);
    const badPartition = path.join(dir, 'out-a');
    await expect(submitSlurmSweep(file, { overrides: [], axes: [], outDir: badPartition, flags: { partition: 'cpu\n#SBATCH --uid=0' }, dryRun: true }, testEnvironment())).rejects.toThrow(/--partition/);
    expect(fs.existsSync(badPartition)).toBe(false);
    const spaced = path.join(dir, 'out b');
    await expect(submitSlurmSweep(file, { overrides: [], axes: [], outDir: spaced, flags: {}, dryRun: true }, testEnvironment())).rejects.toThrow(/must not contain spaces/);
    expect(fs.existsSync(spaced)).toBe(false);
  });

  test('a job config leaves the launcher block out, so changing the partition keeps finished jobs finished', async () => {
    const dir = tempDir();
    const a = await planSweep(writeConfig(dir, 'a.yaml', `${BASE}launcher: { partition: a }\n`), { overrides: [], axes: [], outDir: path.join(dir, 'o') }, testEnvironment());
    const b = await planSweep(writeConfig(dir, 'b.yaml', `${BASE}launcher: { partition: b }\nname: a\n`), { overrides: [], axes: [], outDir: path.join(dir, 'o') }, testEnvironment());
    expect(a.jobs[0]!.resolved.config['launcher']).toBeUndefined();
    expect(a.jobs.map((p) => p.resolved.config)).toEqual(b.jobs.map((p) => p.resolved.config));
    expect(a.launcher).toEqual({ partition: 'a' });
  });

  test('array specs collapse runs and carry the concurrency limit', () => {
    expect(arraySpec([3, 0, 1, 2, 7, 9, 8], 2)).toBe('0-3,7-9%2');
    expect(arraySpec([1])).toBe('1');
    expect(arraySpec([4, 5], 8)).toBe('4-5');
  });

  test('the batch script: directives, setup lines, and a quoted command', () => {
    const script = renderBatchScript({
      outDir: "/shared/it's/sw",
      workDir: '/shared/repo',
      name: 'repscope-x',
      array: '0-1%1',
      settings: { partition: 'cpu', time: '01:00:00', cpusPerTask: 4, mem: '8G', gpus: 'a100:1', account: 'lab', qos: 'low', sbatch: ['--constraint=avx2'], setup: ['module load nodejs/20'] },
      command: ['/usr/bin/node', '/shared/repo/bin.js'],
      jobs: [{ job: 0, dir: '00-dim=2', label: 'dim=2', overrides: { dim: 2 }, configHash: 'h' }, { job: 1, dir: '01-dim=3', label: 'dim=3', overrides: { dim: 3 }, configHash: 'h' }],
    });
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(directives).toEqual([
      '#SBATCH --job-name=repscope-x',
      '#SBATCH --array=0-1%1',
      "#SBATCH --output=/shared/it's/sw/slurm/%A_%a.out",
      '#SBATCH --chdir=/shared/repo',
      '#SBATCH --partition=cpu',
      '#SBATCH --time=01:00:00',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=8G',
      '#SBATCH --gpus=a100:1',
      '#SBATCH --account=lab',
      '#SBATCH --qos=low',
      '#SBATCH --constraint=avx2',
    ]);
    expect(script).toContain('\nmodule load nodejs/20\n');
    expect(script).toContain(`exec '/usr/bin/node' '/shared/repo/bin.js' sweep '/shared/it'\\''s/sw' --job-index "$SLURM_ARRAY_TASK_ID"\n`);
  });

  test('thread share: cores ÷ jobs, at least 1; Slurm allocation when inside a Slurm task', () => {
    expect(threadShare(2, { SLURM_CPUS_PER_TASK: '8' })).toBe(4);
    expect(threadShare(3, { SLURM_CPUS_PER_TASK: '2' })).toBe(1);
    expect(threadShare(1, { SLURM_JOB_ID: '5', SLURM_CPUS_ON_NODE: '6' })).toBe(6);
  });
});
