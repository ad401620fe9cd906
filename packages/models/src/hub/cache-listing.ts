import * as fs from 'node:fs';
import { scanCacheDir } from '@huggingface/hub';
import { hubSettings } from './hub-settings';

export interface CachedModel {
  repo: string;
  path: string;
  sizeBytes: number;
  revisions: { commit: string; refs: string[]; files: number; sizeBytes: number }[];
}

/** The models in the shared Hugging Face cache (Python's downloads too), by repository name. */
export async function listCachedModels(cacheDir = hubSettings().cacheDir): Promise<CachedModel[]> {
  if (!fs.existsSync(cacheDir)) return [];
  const models: CachedModel[] = [];
  const scan = await scanCacheDir(cacheDir);
  for (const repo of scan.repos) {
    if (repo.id.type !== 'model') continue;
    models.push({
      repo: repo.id.name,
      path: repo.path,
      sizeBytes: repo.size,
      revisions: repo.revisions.map((r) => ({ commit: r.commitOid, refs: [...r.refs].sort(), files: r.files.length, sizeBytes: r.size })),
    });
  }
  return models.sort((a, b) => a.repo.localeCompare(b.repo));
}
