import type { LauncherSettings } from '../launcher';
import type { ManifestJob } from '../manifest';

export interface BatchScriptInput {
  outDir: string;
  /** The folder the tasks start in (plugin discovery and relative paths). */
  workDir: string;
  name: string;
  /** `--array` value, `%N` limit included. */
  array: string;
  settings: LauncherSettings;
  /** How to start repscope: node and the CLI script. */
  command: string[];
  jobs: ManifestJob[];
}

/** Single-quoted for bash: nothing inside is expanded. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** sbatch expands %A, %a, … in file names; a literal % is %%. */
function sbatchPath(p: string): string {
  return p.replace(/%/g, '%%');
}

/**
 * The batch script of a sweep's job array: one task per job, the task id being the job's index
 * in jobs.json. It is written for people too: a researcher can read it, edit it and resubmit
 * it with plain `sbatch` (finished jobs are skipped by the task itself).
 */
export function renderBatchScript(input: BatchScriptInput): string {
  const s = input.settings;
  const directives: string[] = [
    `--job-name=${input.name}`,
    `--array=${input.array}`,
    `--output=${sbatchPath(input.outDir)}/slurm/%A_%a.out`,
    `--chdir=${sbatchPath(input.workDir)}`,
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.time !== undefined ? [`--time=${s.time}`] : []),
    ...(s.cpusPerTask !== undefined ? [`--cpus-per-task=${s.cpusPerTask}`] : []),
    ...(s.mem ? [`--mem=${s.mem}`] : []),
    ...(s.gpus !== undefined ? [`--gpus=${s.gpus}`] : []),
    ...(s.account ? [`--account=${s.account}`] : []),
    ...(s.qos ? [`--qos=${s.qos}`] : []),
    ...(s.sbatch ?? []),
  ];
  const listed = input.jobs.length > 50 ? [...input.jobs.slice(0, 50), undefined] : input.jobs;
  return [
    '#!/bin/bash',
    `# repscope sweep in ${input.outDir}: one array task per job; the task id is the job's index`,
    '# in jobs.json. Written by `repscope sweep … --launcher slurm`, which submits only unfinished',
    '# jobs; `sbatch` on this file resubmits the --array below (finished jobs are skipped).',
    ...directives.map((d) => `#SBATCH ${d}`),
    '#',
    '# jobs:',
    ...listed.map((j) => (j ? `#   ${j.job}: ${j.label.replace(/[\r\n]/g, ' ')}` : `#   … ${input.jobs.length - 50} more in jobs.json`)),
    '',
    'set -eo pipefail',
    ...(s.setup?.length ? ['', '# setup', ...s.setup] : []),
    '',
    '# Each job gets the cores Slurm gave its task (REPSCOPE_WASM_THREADS follows SLURM_CPUS_PER_TASK).',
    `exec ${input.command.map(shellQuote).join(' ')} sweep ${shellQuote(input.outDir)} --job-index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}
