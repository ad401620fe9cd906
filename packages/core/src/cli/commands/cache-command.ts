import { CachedModel, formatDecimalBytes, hubSettings, listCachedModels } from '@repscope/models';

interface CacheListing {
  cacheDir: string;
  models: CachedModel[];
}

/** `repscope cache [--json]`: the models in the shared Hugging Face cache (Python's downloads too). */
export async function cacheCommand(opts: { json?: boolean }): Promise<number> {
  const { cacheDir } = hubSettings();
  const listing: CacheListing = { cacheDir, models: await listCachedModels(cacheDir) };
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
    process.stdout.write(`${m.repo}  ${formatDecimalBytes(m.sizeBytes)}\n`);
    for (const r of m.revisions) {
      const partial = r.shardsNotFetched ? `  partial: ${r.shardsNotFetched.length} shard${r.shardsNotFetched.length > 1 ? 's' : ''} not fetched (a depth-limited download)` : '';
      process.stdout.write(`  ${r.commit.slice(0, 12)}  ${r.refs.length ? r.refs.join(', ') : '(no branch or tag)'}  ${r.files} files, ${formatDecimalBytes(r.sizeBytes)}${partial}\n`);
    }
  }
  return 0;
}
