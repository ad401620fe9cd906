import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadBlob, HubFile } from './download-blob';
import { fetchModelListing, fetchPathsInfo } from './hub-api';
import { createDownloadReporter, defaultDownloadMode, DownloadReporter } from './download-progress';
import { CachedRepo } from './hub-cache';
import { formatDecimalBytes } from '../util/format-bytes';
import { HubError, hubFailure, HubHttpError, isNetworkFailure } from './hub-error';
import { COMMIT_PATTERN, HubRef } from './hub-ref';
import { hubSettings, HubSettings } from './hub-settings';
import { CONFIG_FILE, filesToFetch, OPTIONAL_FILES, SHARD_INDEX, shardsNeeded, SINGLE_WEIGHTS, TRAINING_VOCABULARY_FILES } from './model-files';
import { describeNeed, tensorFilter, TensorNeed } from '../model/checkpoint/tensor-need';

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
  /**
   * Optional files (preprocessor_config.json, tokenizer.json, tokenizer_config.json) the repo
   * does not have at this commit — so the model ran on defaults for what they would say (a
   * ViT's image mean/std) by design. Only present when not empty.
   */
  absent?: string[];
  /**
   * Optional files neither in the snapshot nor known to be absent (a cache Python filled
   * with only some files, used offline): the run went without them, and nobody checked that
   * the repo lacks them. Only present when not empty.
   */
  unverified?: string[];
  /**
   * Shards of a sharded checkpoint the snapshot does not have: a download limited to the
   * blocks the run keeps (`depth`, `head`) skipped them. Only present when not empty.
   */
  notFetched?: string[];
}

export interface EnsureOptions {
  settings?: HubSettings;
  reporter?: DownloadReporter;
  /** Ask the hub what the revision points at now even when the cache has it (`repscope download`). */
  refresh?: boolean;
  /** What the run reads (its model block's `depth` and `head`): shards holding none of it are not fetched. Default: every tensor. */
  need?: TensorNeed;
}

interface CachedSnapshot {
  commit: string;
  /** Needed files the snapshot has. */
  files: string[];
  /** Needed files it lacks: the model cannot be built. */
  missing: string[];
  /** Optional files the repo does not have at this commit (`.no_exist/<commit>/`). */
  absent: string[];
  /** Optional files neither there nor known to be absent. */
  unverified: string[];
  /** Shards the run does not need and the snapshot does not have. */
  notFetched: string[];
}

/** What the cache holds of `ref` without asking anyone: the commit its revision points at and which needed files are there. */
function cachedSnapshot(cache: CachedRepo, ref: HubRef, need: TensorNeed = {}): CachedSnapshot | undefined {
  const commit = cache.commitFor(ref.revision);
  if (!commit) return undefined;
  const files: string[] = [];
  const missing: string[] = [];
  const absent: string[] = [];
  const unverified: string[] = [];
  const notFetched: string[] = [];
  const want = (f: string) => (cache.hasFile(commit, f) ? files : missing).push(f);
  want(CONFIG_FILE);
  if (cache.hasFile(commit, SINGLE_WEIGHTS)) files.push(SINGLE_WEIGHTS);
  else if (cache.hasFile(commit, SHARD_INDEX)) {
    files.push(SHARD_INDEX);
    const shards = shardsNeeded(cache.snapshotFile(commit, SHARD_INDEX), ref.text, tensorFilter(need));
    for (const shard of shards.needed) want(shard);
    for (const shard of shards.skipped) (cache.hasFile(commit, shard) ? files : notFetched).push(shard);
  } else missing.push(`${SINGLE_WEIGHTS} (or ${SHARD_INDEX} and its shards)`);
  // A snapshot without preprocessor_config.json may be a repo without one, or a cache Python
  // filled with only config and weights: the first runs a ViT on default mean/std by design, the
  // second would do so silently. Only `.no_exist` (Python's, or ours) tells them apart.
  for (const f of OPTIONAL_FILES) (cache.hasFile(commit, f) ? files : cache.isKnownAbsent(commit, f) ? absent : unverified).push(f);
  for (const f of TRAINING_VOCABULARY_FILES) if (cache.hasFile(commit, f)) files.push(f);
  return { commit, files, missing, absent, unverified, notFetched };
}

/** Whether `cached` serves the model without a request: every needed file, and each optional one there or known absent (offline, the cache is all there is). */
const servesAlone = (cached: CachedSnapshot | undefined, settings: HubSettings): cached is CachedSnapshot => cached !== undefined && !cached.missing.length && (settings.offline || !cached.unverified.length);

/** Whether ensureHubModel would use the cache for `ref` without asking the hub (then validate reads it there, and a run needs no fetch first). */
export function isCompleteInCache(ref: HubRef, settings: HubSettings = hubSettings(), need: TensorNeed = {}): boolean {
  return servesAlone(cachedSnapshot(new CachedRepo(settings.cacheDir, ref.repo), ref, need), settings);
}

const list = (files: string[]) => files.join(', ');

/**
 * Make `ref` available in the cache and return its snapshot folder. A complete cached
 * snapshot — each optional file there or recorded in `.no_exist/` — is used without a single
 * request (so the second run, and every sweep job after the first, is offline); otherwise the
 * hub says which commit the revision is and the missing files are fetched. HF_HUB_OFFLINE=1
 * never asks.
 */
export async function ensureHubModel(ref: HubRef, options: EnsureOptions = {}): Promise<{ commit: string; dir: string }> {
  const settings = options.settings ?? hubSettings();
  const cache = new CachedRepo(settings.cacheDir, ref.repo);
  const need = options.need ?? {};
  const cached = cachedSnapshot(cache, ref, need);
  const reporter = options.reporter ?? createDownloadReporter(defaultDownloadMode());
  const usable = cached !== undefined && !cached.missing.length;
  const useCached = () => {
    if (cached!.unverified.length) {
      reporter.note(
        `${ref.text}: the cache has no ${list(cached!.unverified)} for commit ${cached!.commit.slice(0, 12)} and does not say the repo lacks ${cached!.unverified.length > 1 ? 'them' : 'it'}; ` +
          `running without (env.json lists ${cached!.unverified.length > 1 ? 'them' : 'it'} as unverified) — \`repscope download ${ref.text}\` with network settles it`,
      );
    }
    return { commit: cached!.commit, dir: cache.snapshotDir(cached!.commit) };
  };
  if (servesAlone(cached, settings) && (!options.refresh || settings.offline)) return useCached();
  if (settings.offline) {
    throw new HubError(
      cached
        ? `${ref.text}: HF_HUB_OFFLINE=1 and the cache (${cache.snapshotDir(cached.commit)}) lacks ${cached.missing.join(', ')}; fetch it with \`repscope download ${ref.text}\` where there is network`
        : `${ref.text}: HF_HUB_OFFLINE=1 and the model is not in the cache (${cache.dir}); fetch it with \`repscope download ${ref.text}\` where there is network, or point HF_HUB_CACHE at a cache that has it`,
      'E_HUB_OFFLINE',
    );
  }
  const note = (line: string) => reporter.note(`${ref.text}: ${line}`);
  let listing;
  try {
    listing = await fetchModelListing(ref.repo, ref.revision, settings, note);
  } catch (err) {
    // Asked only to settle optional files: a complete snapshot still runs when the hub cannot
    // be reached, as Python falls back to its cache (`download` asked on purpose, and says so).
    if (usable && !options.refresh && isNetworkFailure(err)) return useCached();
    throw hubFailure(err, ref.text, settings);
  }
  try {
    const commit = listing.sha;
    if (typeof commit !== 'string' || !COMMIT_PATTERN.test(commit)) throw new HubError(`${ref.text}: ${settings.endpoint} gave no commit for revision "${ref.revision}"`, 'E_HUB_PROTOCOL');
    const files = filesToFetch(listing.files, ref.text);
    await fetchFiles(cache, ref, commit, files, settings, reporter);
    if (files.includes(SHARD_INDEX)) {
      const shards = shardsNeeded(cache.snapshotFile(commit, SHARD_INDEX), ref.text, tensorFilter(need));
      await fetchFiles(cache, ref, commit, shards.needed, settings, reporter, { skipped: shards.skipped, need });
    }
    for (const f of OPTIONAL_FILES) if (!files.includes(f)) cache.recordAbsent(commit, f);
    cache.recordRef(ref.revision, commit);
    return { commit, dir: cache.snapshotDir(commit) };
  } catch (err) {
    throw hubFailure(err, ref.text, settings);
  }
}

const ETAG = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** Above this, the bytes about to be fetched are announced before the first one is. */
const ANNOUNCE_BYTES = 1e9;

async function fetchFiles(
  cache: CachedRepo,
  ref: HubRef,
  commit: string,
  paths: string[],
  settings: HubSettings,
  reporter: DownloadReporter,
  partial?: { skipped: string[]; need: TensorNeed },
): Promise<void> {
  const needed = paths.filter((p) => !cache.hasFile(commit, p));
  const skipped = partial?.skipped.filter((p) => !cache.hasFile(commit, p)) ?? [];
  if (!needed.length) return;
  const infos = await fetchPathsInfo(ref.repo, commit, [...needed, ...skipped], settings, (line) => reporter.note(`${ref.text}: ${line}`));
  const sizeOf = (paths: string[]) => infos.filter((i) => paths.includes(i.path)).reduce((sum, i) => sum + (i.lfs?.size ?? i.size ?? 0), 0);
  const bytes = sizeOf(needed);
  checkFreeSpace(cache.blob(''), ref.text, bytes);
  if (skipped.length) {
    reporter.note(
      `${ref.text}: fetching ${needed.length} of ${needed.length + skipped.length} missing shards (${formatDecimalBytes(bytes)} of ${formatDecimalBytes(bytes + sizeOf(skipped))}): what ${describeNeed(partial!.need)} reads`,
    );
  } else if (bytes >= ANNOUNCE_BYTES) reporter.note(`${ref.text}: fetching ${formatDecimalBytes(bytes)}`);
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
    try {
      await downloadBlob(cache, file, settings, reporter, `${ref.text} ${path}`);
    } catch (err) {
      // An HTTP error names the file; disk and network lines name the model, as before.
      throw err instanceof HubHttpError ? hubFailure(err, ref.text, settings, path) : err;
    }
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

const isShard = (file: string) => file.endsWith('.safetensors') && file !== SINGLE_WEIGHTS;

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
  return {
    ref: ref.text,
    repo: ref.repo,
    revision: ref.revision,
    commit: cached.commit,
    files,
    ...(cached.absent.length ? { absent: cached.absent } : {}),
    ...(cached.unverified.length ? { unverified: cached.unverified } : {}),
    // Asked without a need, every shard is needed: the ones the snapshot lacks are "missing".
    ...(cached.missing.some(isShard) ? { notFetched: cached.missing.filter(isShard) } : {}),
  };
}
