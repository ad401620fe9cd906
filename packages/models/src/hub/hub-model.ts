import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelInfo, pathsInfo } from '@huggingface/hub';
import { downloadBlob, HubFile } from './download-blob';
import { createDownloadReporter, defaultDownloadMode, DownloadReporter } from './download-progress';
import { CachedRepo } from './hub-cache';
import { formatDecimalBytes } from '../util/format-bytes';
import { HubError, hubFailure } from './hub-error';
import { retryingFetch } from './hub-fetch';
import { COMMIT_PATTERN, HubRef } from './hub-ref';
import { hubSettings, HubSettings } from './hub-settings';
import { CONFIG_FILE, filesToFetch, PREPROCESSOR, SHARD_INDEX, shardsOf, SINGLE_WEIGHTS } from './model-files';

export interface HubFileRecord {
  path: string;
  sha256: string;
  size: number;
}

/** What env.json records per model so a run can be repeated exactly. */
export interface HubModelRecord {
  ref: string;
  repo: string;
  revision: string;
  commit: string;
  files: HubFileRecord[];
}

export interface EnsureOptions {
  settings?: HubSettings;
  reporter?: DownloadReporter;
  /** Ask the hub what the revision points at now even when the cache has it (`repscope download`). */
  refresh?: boolean;
}

interface CachedSnapshot {
  commit: string;
  files: string[];
  missing: string[];
}

/** What the cache holds of `ref` without asking anyone: the commit its revision points at and which needed files are there. */
function cachedSnapshot(cache: CachedRepo, ref: HubRef): CachedSnapshot | undefined {
  const commit = cache.commitFor(ref.revision);
  if (!commit) return undefined;
  const files: string[] = [];
  const missing: string[] = [];
  const want = (f: string) => (cache.hasFile(commit, f) ? files : missing).push(f);
  want(CONFIG_FILE);
  if (cache.hasFile(commit, SINGLE_WEIGHTS)) files.push(SINGLE_WEIGHTS);
  else if (cache.hasFile(commit, SHARD_INDEX)) {
    files.push(SHARD_INDEX);
    for (const shard of shardsOf(cache.snapshotFile(commit, SHARD_INDEX), ref.text)) want(shard);
  } else missing.push(`${SINGLE_WEIGHTS} (or ${SHARD_INDEX} and its shards)`);
  if (cache.hasFile(commit, PREPROCESSOR)) files.push(PREPROCESSOR);
  return { commit, files, missing };
}

/** Whether the cache holds every file `ref` needs (then nothing is asked of the hub). */
export function isCompleteInCache(ref: HubRef, settings: HubSettings = hubSettings()): boolean {
  const cached = cachedSnapshot(new CachedRepo(settings.cacheDir, ref.repo), ref);
  return cached !== undefined && cached.missing.length === 0;
}

/**
 * Make `ref` available in the cache and return its snapshot folder. A complete cached
 * snapshot is used without a single request (so the second run, and every sweep job after
 * the first, is offline); otherwise the hub says which commit the revision is and the
 * missing files are fetched. HF_HUB_OFFLINE=1 never asks.
 */
export async function ensureHubModel(ref: HubRef, options: EnsureOptions = {}): Promise<{ commit: string; dir: string }> {
  const settings = options.settings ?? hubSettings();
  const cache = new CachedRepo(settings.cacheDir, ref.repo);
  const cached = cachedSnapshot(cache, ref);
  if (cached && !cached.missing.length && (!options.refresh || settings.offline)) return { commit: cached.commit, dir: cache.snapshotDir(cached.commit) };
  if (settings.offline) {
    throw new HubError(
      cached
        ? `${ref.text}: HF_HUB_OFFLINE=1 and the cache (${cache.snapshotDir(cached.commit)}) lacks ${cached.missing.join(', ')}; fetch it with \`repscope download ${ref.text}\` where there is network`
        : `${ref.text}: HF_HUB_OFFLINE=1 and the model is not in the cache (${cache.dir}); fetch it with \`repscope download ${ref.text}\` where there is network, or point HF_HUB_CACHE at a cache that has it`,
      'E_HUB_OFFLINE',
    );
  }
  const reporter = options.reporter ?? createDownloadReporter(defaultDownloadMode());
  try {
    const info = await modelInfo({ name: ref.repo, revision: ref.revision, hubUrl: settings.endpoint, accessToken: settings.token, fetch: retryingFetch, additionalFields: ['sha', 'filePaths'] });
    const commit = info.sha;
    if (typeof commit !== 'string' || !COMMIT_PATTERN.test(commit)) throw new HubError(`${ref.text}: ${settings.endpoint} gave no commit for revision "${ref.revision}"`, 'E_HUB_PROTOCOL');
    const files = filesToFetch(info.filePaths ?? [], ref.text);
    await fetchFiles(cache, ref, commit, files, settings, reporter);
    if (files.includes(SHARD_INDEX)) await fetchFiles(cache, ref, commit, shardsOf(cache.snapshotFile(commit, SHARD_INDEX), ref.text), settings, reporter);
    cache.recordRef(ref.revision, commit);
    return { commit, dir: cache.snapshotDir(commit) };
  } catch (err) {
    throw hubFailure(err, ref.text, settings);
  }
}

const ETAG = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

async function fetchFiles(cache: CachedRepo, ref: HubRef, commit: string, paths: string[], settings: HubSettings, reporter: DownloadReporter): Promise<void> {
  const needed = paths.filter((p) => !cache.hasFile(commit, p));
  if (!needed.length) return;
  const infos = await pathsInfo({ repo: { type: 'model', name: ref.repo }, paths: needed, revision: commit, hubUrl: settings.endpoint, accessToken: settings.token, fetch: retryingFetch });
  checkFreeSpace(cache.blob(''), ref.text, infos.filter((i) => needed.includes(i.path)).reduce((sum, i) => sum + (i.lfs?.size ?? i.size ?? 0), 0));
  for (const path of needed) {
    const info = infos.find((i) => i.path === path);
    if (!info) throw new HubError(`${ref.text}: ${path} is listed by the repo but the hub has no such file at commit ${commit}`, 'E_HUB_NOT_FOUND');
    const etag = info.lfs?.oid ?? info.oid;
    // The blob's name comes from the server; only a hash may become a path in the cache.
    if (!etag || !ETAG.test(etag)) throw new HubError(`${ref.text}: the hub gave ${path} no usable hash (got ${JSON.stringify(etag)})`, 'E_HUB_PROTOCOL');
    const file: HubFile = {
      path,
      etag,
      size: info.lfs?.size ?? info.size,
      lfs: Boolean(info.lfs),
      url: `${settings.endpoint}/${ref.repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`,
    };
    await downloadBlob(cache, file, settings.token, reporter, `${ref.text} ${path}`);
    cache.link(commit, path, etag);
  }
}

/** Headroom beside the announced sizes: as much again, up to 256 MB (a disk that full is no place to finish a download). */
const headroom = (bytes: number) => Math.min(bytes, 256 * 1024 * 1024);

/**
 * Before any byte is fetched: the disk holding the cache has room for what the hub announced
 * (plus a margin). A 1 TB "model" is refused in a line instead of filling the disk.
 */
function checkFreeSpace(dir: string, label: string, bytes: number): void {
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  let free: number;
  try {
    const stat = fs.statfsSync(probe);
    free = stat.bavail * stat.bsize;
  } catch {
    return; // no statfs here: the download's own ENOSPC handling still applies
  }
  if (bytes + headroom(bytes) > free) {
    throw new HubError(
      `${label}: needs ${formatDecimalBytes(bytes)} (and ${formatDecimalBytes(headroom(bytes))} to spare) but the disk of the Hugging Face cache (${dir}, HF_HUB_CACHE) has ${formatDecimalBytes(free)} free; free space or point HF_HUB_CACHE at a larger disk`,
      'E_HUB_NO_SPACE',
    );
  }
}

/** The record env.json keeps for a model already in the cache (no request). */
export function hubModelRecord(ref: HubRef, settings: HubSettings = hubSettings()): HubModelRecord | undefined {
  const cache = new CachedRepo(settings.cacheDir, ref.repo);
  const cached = cachedSnapshot(cache, ref);
  if (!cached) return undefined;
  const files = cached.files.map((path) => {
    const entry = cache.snapshotFile(cached.commit, path);
    const blob = cache.blobNameOf(cached.commit, path);
    // LFS blobs are named by their sha256 (checked when downloaded); small git files are hashed here.
    const sha256 = blob && /^[0-9a-f]{64}$/.test(blob) ? blob : createHash('sha256').update(fs.readFileSync(entry)).digest('hex');
    return { path, sha256, size: fs.statSync(entry).size };
  });
  return { ref: ref.text, repo: ref.repo, revision: ref.revision, commit: cached.commit, files };
}
