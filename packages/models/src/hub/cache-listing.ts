import * as fs from 'node:fs';
import { scanCacheDir } from '@huggingface/hub';
import { hubSettings } from './hub-settings';
import { CachedRepo } from './hub-cache';
import { SHARD_INDEX, shardsOf } from './model-files';

export interface CachedModel {
  repo: string;
  path: string;
  sizeBytes: number;
  revisions: { commit: string; refs: string[]; files: number; sizeBytes: number; shardsNotFetched?: string[] }[];
}

/** Shards a snapshot's index lists that the snapshot does not have (a depth-limited download), or undefined when it has them all. */
function shardsNotFetched(cache: CachedRepo, commit: string, repo: string): string[] | undefined {
  if (!cache.hasFile(commit, SHARD_INDEX)) return undefined;
  try {
    const lacking = shardsOf(cache.snapshotFile(commit, SHARD_INDEX), `hf:${repo}@${commit}`).filter((s) => !cache.hasFile(commit, s));
    return lacking.length ? lacking : undefined;
  } catch {
    return undefined; // an index we cannot read is the run's problem to report, not the listing's
  }
}

/** The models in the shared Hugging Face cache (Python's downloads too), by repository name. */
export async function listCachedModels(cacheDir = hubSettings().cacheDir): Promise<CachedModel[]> {
  if (!fs.existsSync(cacheDir)) return [];
  const models: CachedModel[] = [];
  const scan = await scanCacheDir(cacheDir);
  for (const repo of scan.repos) {
    if (repo.id.type !== 'model') continue;
    const cache = new CachedRepo(cacheDir, repo.id.name);
    models.push({
      repo: repo.id.name,
      path: repo.path,
      sizeBytes: repo.size,
      revisions: repo.revisions.map((r) => {
        const notFetched = shardsNotFetched(cache, r.commitOid, repo.id.name);
        return { commit: r.commitOid, refs: [...r.refs].sort(), files: r.files.length, sizeBytes: r.size, ...(notFetched ? { shardsNotFetched: notFetched } : {}) };
      }),
    });
  }
  return models.sort((a, b) => a.repo.localeCompare(b.repo));
}
