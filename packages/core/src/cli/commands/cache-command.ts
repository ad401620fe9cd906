import * as fs from 'node:fs';
import { scanCacheDir } from '@huggingface/hub';
import { formatBytes } from '../../hub/download-progress';
import { hubSettings } from '../../hub/hub-settings';

interface CacheListing {
  cacheDir: string;
  models: { repo: string; path: string; sizeBytes: number; revisions: { commit: string; refs: string[]; files: number; sizeBytes: number }[] }[];
}

/** `repscope cache [--json]`: the models in the shared Hugging Face cache (Python's downloads too). */
export async function cacheCommand(opts: { json?: boolean }): Promise<number> {
  const { cacheDir } = hubSettings();
  const listing: CacheListing = { cacheDir, models: [] };
  if (fs.existsSync(cacheDir)) {
    const scan = await scanCacheDir(cacheDir);
    for (const repo of scan.repos) {
      if (repo.id.type !== 'model') continue;
      listing.models.push({
        repo: repo.id.name,
        path: repo.path,
        sizeBytes: repo.size,
        revisions: repo.revisions.map((r) => ({ commit: r.commitOid, refs: [...r.refs].sort(), files: r.files.length, sizeBytes: r.size })),
      });
    }
    listing.models.sort((a, b) => a.repo.localeCompare(b.repo));
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(listing, null, 2) + '\n');
    return 0;
  }
  if (!listing.models.length) {
    process.stdout.write(`no models in ${cacheDir}\n`);
    return 0;
  }
  process.stdout.write(`${cacheDir}\n`);
  for (const m of listing.models) {
    process.stdout.write(`${m.repo}  ${formatBytes(m.sizeBytes)}\n`);
    for (const r of m.revisions) process.stdout.write(`  ${r.commit.slice(0, 12)}  ${r.refs.length ? r.refs.join(', ') : '(no branch or tag)'}  ${r.files} files, ${formatBytes(r.sizeBytes)}\n`);
  }
  return 0;
}
