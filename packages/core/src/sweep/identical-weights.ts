import * as path from 'node:path';
import type { SweepManifest } from './manifest';
import { readJsonObjectIfAny } from '../util/read-json';

/**
 * Hub references of one sweep that served byte-identical weights. Published checkpoints are
 * not always what their names say — 86 of pythia-2.8b's 154 step branches serve the same
 * files (EleutherAI/pythia#205) — and a sweep "across training" over two such revisions
 * measures one model twice.
 */
export interface IdenticalWeights {
  refs: string[];
  /** The weight files' sha256 (the first shard's, for a sharded checkpoint), for the record. */
  sha256: string;
}

interface RecordedModel {
  ref?: unknown;
  files?: unknown;
  notFetched?: unknown;
}

/** A model's weights as one key: its safetensors files' sha256, sorted (config.json differing alone does not count). */
function weightsKey(model: RecordedModel): string | undefined {
  // A partial snapshot's files are not the model's: two depth-limited fetches cannot be compared.
  if (!Array.isArray(model.files) || (Array.isArray(model.notFetched) && model.notFetched.length)) return undefined;
  const hashes = (model.files as { path?: unknown; sha256?: unknown }[])
    .filter((f) => typeof f?.path === 'string' && f.path.endsWith('.safetensors') && typeof f.sha256 === 'string')
    .map((f) => `${f.path as string}:${f.sha256 as string}`)
    .sort();
  return hashes.length ? hashes.join(',') : undefined;
}

/** From the env.json of each job that has started: groups of two or more distinct `hf:` references with the same weights. */
export function identicalWeights(outDir: string, manifest: SweepManifest): IdenticalWeights[] {
  const refsByKey = new Map<string, Set<string>>();
  for (const job of manifest.jobs) {
    const env = readJsonObjectIfAny(path.join(outDir, job.dir, 'env.json'));
    const models = env?.['models'];
    if (!Array.isArray(models)) continue;
    for (const model of models as RecordedModel[]) {
      const key = model && typeof model.ref === 'string' ? weightsKey(model) : undefined;
      if (!key) continue;
      if (!refsByKey.has(key)) refsByKey.set(key, new Set());
      refsByKey.get(key)!.add(model.ref as string);
    }
  }
  return [...refsByKey.entries()]
    .filter(([, refs]) => refs.size > 1)
    .map(([key, refs]) => ({ refs: [...refs].sort(), sha256: key.split(',')[0]!.split(':')[1]! }));
}

/** One line per group, for `repscope status` and the sweep report. */
export function describeIdenticalWeights(groups: IdenticalWeights[]): string[] {
  return groups.map((g) => `${g.refs.join(', ')} serve byte-identical weights (sha256 ${g.sha256.slice(0, 12)}…): their jobs measure one model, not ${g.refs.length}`);
}
