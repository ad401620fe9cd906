import { HubError } from '@repscope/models';
import { ensureHubModel, EnsureOptions, hubModelRecord, HubModelRecord, isCompleteInCache, needCovers, needOfBlock, TensorNeed, unionNeed } from '@repscope/models';
import { HubRef, isHubRef, parseHubRef } from '@repscope/models';
import { CachedRepo } from '@repscope/models';
import { hubSettings } from '@repscope/models';

/** Every `weights: hf:…` in a config, wherever its model blocks nest (hybrid parts, judges, embeddings). */
export function hubRefsIn(value: unknown, found = new Map<string, HubRef>()): Map<string, HubRef> {
  if (Array.isArray(value)) for (const v of value) hubRefsIn(v, found);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'weights' && isHubRef(v)) found.set(v, parseHubRef(v));
      else hubRefsIn(v, found);
    }
  }
  return found;
}

/** Per `hf:` reference, what the model blocks naming it read of it (`depth`, `head`). */
export function hubNeedsIn(value: unknown, found = new Map<string, TensorNeed[]>()): Map<string, TensorNeed[]> {
  if (Array.isArray(value)) for (const v of value) hubNeedsIn(v, found);
  else if (value && typeof value === 'object') {
    const block = value as Record<string, unknown>;
    const weights = block['weights'];
    if (isHubRef(weights)) found.set(weights, [...(found.get(weights) ?? []), needOfBlock(block)]);
    for (const [key, v] of Object.entries(block)) if (key !== 'weights') hubNeedsIn(v, found);
  }
  return found;
}

/**
 * Download what the configs' `hf:` weights need (each distinct model once), before any run
 * directory exists: a failure here is one line and exit 2, with nothing written. A sharded
 * checkpoint is fetched only as far as the deepest block that reads it keeps.
 */
export async function fetchHubWeights(configs: unknown[], options: EnsureOptions = {}): Promise<void> {
  const refs = new Map<string, HubRef>();
  const needs = new Map<string, TensorNeed[]>();
  for (const c of configs) {
    hubRefsIn(c, refs);
    hubNeedsIn(c, needs);
  }
  const cacheDir = (options.settings ?? hubSettings()).cacheDir;
  for (const ref of refs.values()) {
    const need = options.need ?? unionNeed(needs.get(ref.text) ?? []);
    await ensureHubModel(ref, { ...options, need });
    settled.set(settledKey(cacheDir, ref), need);
  }
}

/**
 * References ensureHubModel has dealt with in this process: their snapshot is what the run uses
 * even when some optional file stayed unverified (the hub unreachable, a read-only cache).
 */
const settled = new Map<string, TensorNeed>();
const settledKey = (cacheDir: string, ref: HubRef) => `${cacheDir}\0${ref.text}`;

/** Where the files of an `hf:` model are on this machine; throws HubError when they are not. */
export type WeightsFolder = (ref: HubRef, need?: TensorNeed) => string;

/**
 * The spec with each `hf:` reference replaced by a local folder — by default its snapshot in
 * the cache, which fetchHubWeights has filled: model kinds only ever open local folders.
 */
export function withLocalWeights<T>(spec: T, folderFor: WeightsFolder = snapshotFolder): T {
  if (Array.isArray(spec)) return spec.map((s) => withLocalWeights(s, folderFor)) as T;
  if (!spec || typeof spec !== 'object') return spec;
  const block = spec as Record<string, unknown>;
  return Object.fromEntries(Object.entries(block).map(([key, v]) => [key, key === 'weights' && isHubRef(v) ? folderFor(parseHubRef(v), needOfBlock(block)) : withLocalWeights(v, folderFor)])) as T;
}

/**
 * The model's complete snapshot in the Hugging Face cache. Before fetchHubWeights has seen the
 * reference, a snapshot it would still ask the hub about — a needed file missing, or an optional
 * one (preprocessor_config.json) neither there nor in `.no_exist/` — is not offered: the
 * pre-run check then waits for the fetch instead of passing the run a folder the hub was never
 * asked to complete (a Python-filled snapshot would run a ViT on default mean/std unnoticed).
 */
export function snapshotFolder(ref: HubRef, need: TensorNeed = {}): string {
  const settings = hubSettings();
  const cache = new CachedRepo(settings.cacheDir, ref.repo);
  const commit = cache.commitFor(ref.revision);
  if (!commit) throw new HubError(`${ref.text}: not in the cache (${cache.dir}); fetch it with \`repscope download ${ref.text}\``, 'E_HUB_OFFLINE');
  // Judged as online even under HF_HUB_OFFLINE=1: offline, the fetch step is what says which optional files went unverified.
  const fetched = settled.get(settledKey(settings.cacheDir, ref));
  if (!(fetched && needCovers(fetched, need)) && !isCompleteInCache(ref, { ...settings, offline: false }, need)) {
    throw new HubError(`${ref.text}: the cache (${cache.snapshotDir(commit)}) is not complete; fetch it with \`repscope download ${ref.text}\``, 'E_HUB_OFFLINE');
  }
  return cache.snapshotDir(commit);
}

/** env.json's `models`: repo, revision, resolved commit and each file's sha256, per hub model the config uses. */
export function hubModelRecords(config: unknown): HubModelRecord[] {
  return [...hubRefsIn(config).values()].map((ref) => hubModelRecord(ref)).filter((r): r is HubModelRecord => r !== undefined);
}
