import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { writeJsonAtomic } from '@repscope/models';
import { InvalidInputError } from '@repscope/models';
import type { PlannedJob } from './plan';
import { readFolderJson } from '../util/read-json';

/** The expanded job list every task and shard of a sweep reads: DIR/jobs.json. */
export const MANIFEST_FILE = 'jobs.json';

export interface ManifestJob {
  job: number;
  /** Folder under the sweep directory. */
  dir: string;
  label: string;
  overrides: Record<string, unknown>;
  /** sha256 of the job's resolved config.yaml: a task refuses to run a job whose config changed since. */
  configHash: string;
}

export interface SweepManifest {
  version: 1;
  /** The sweep's config file (absolute). */
  config: string;
  /** The command-line overrides and axes, as typed. */
  arguments: string[];
  jobs: ManifestJob[];
}

export function resolvedConfigHash(config: unknown): string {
  return createHash('sha256').update(toYaml(config, { lineWidth: 0 })).digest('hex');
}

export function buildManifest(file: string, args: string[], jobs: PlannedJob[]): SweepManifest {
  return {
    version: 1,
    config: file,
    arguments: args,
    jobs: jobs.map((p) => ({
      job: p.job.index,
      dir: p.job.dirName,
      label: p.job.label,
      overrides: Object.fromEntries(p.job.assignments.map((a) => [a.key, a.value])),
      configHash: resolvedConfigHash(p.resolved.config),
    })),
  };
}

export function isSweepFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

export function readSweepManifest(dir: string): SweepManifest {
  const file = path.join(dir, MANIFEST_FILE);
  const read = readFolderJson(file);
  if (!read.value) {
    const why = read.problem ?? `${file}: not found`;
    throw new InvalidInputError(`${why}; ${dir} is not a sweep folder (sweep folders hold the jobs.json a sweep writes)`, 'E_SWEEP_MANIFEST');
  }
  const m = read.value as Partial<SweepManifest>;
  const ok =
    m && m.version === 1 && typeof m.config === 'string' && Array.isArray(m.arguments) && m.arguments.every((a) => typeof a === 'string') &&
    Array.isArray(m.jobs) && m.jobs.every((j) => j && Number.isInteger(j.job) && typeof j.dir === 'string' && isSafeFolderName(j.dir) && typeof j.configHash === 'string');
  if (!ok) throw new InvalidInputError(`${file}: not a repscope sweep manifest (version 1 with config, arguments and jobs)`, 'E_SWEEP_MANIFEST');
  return m as SweepManifest;
}

/** Job folders are single path segments; a hand-edited manifest must not point elsewhere. */
function isSafeFolderName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0');
}

/**
 * The coordinator writes the manifest; a shard only checks that the folder belongs to the
 * same sweep (writing it when absent — concurrent shards write identical bytes atomically).
 */
export function writeManifest(dir: string, manifest: SweepManifest, role: 'coordinator' | 'shard'): void {
  const file = path.join(dir, MANIFEST_FILE);
  if (role === 'shard' && fs.existsSync(file)) {
    const existing = readSweepManifest(dir);
    if (JSON.stringify(existing.jobs) !== JSON.stringify(manifest.jobs)) {
      throw new InvalidInputError(`${dir} holds another sweep (its ${MANIFEST_FILE} lists different jobs); a shard must use the same config and arguments`, 'E_SWEEP_MISMATCH');
    }
    return;
  }
  writeJsonAtomic(file, manifest);
}
