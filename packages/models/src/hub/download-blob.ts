import { createHash, Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { acquireBlobLock } from './blob-lock';
import type { CachedRepo } from './hub-cache';
import { HubError, HubHttpError, isNetworkFailure } from './hub-error';
import { HUB_ATTEMPTS, hubFetch } from './hub-fetch';
import type { HubSettings } from './hub-settings';
import { acquirePythonLock, PythonLock } from './python-lock';
import type { DownloadReporter } from './download-progress';
import { makeFolder } from '../util/make-folder';

/** A file as the hub describes it: what its bytes must hash to, and where they are. */
export interface HubFile {
  path: string;
  /** Blob name in the cache: the sha256 for LFS files, the git blob sha1 otherwise (as Python names them). */
  etag: string;
  size: number;
  lfs: boolean;
  url: string;
}

/** Digest matching how the hub names the blob: sha256 of the bytes (LFS) or git's `blob <size>\0…` sha1. */
function digestFor(file: HubFile): Hash {
  if (file.lfs) return createHash('sha256');
  return createHash('sha1').update(`blob ${file.size}\0`);
}

async function hashExisting(hash: Hash, partial: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of fs.createReadStream(partial, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Our partial downloads: not Python's `<etag>.incomplete`, so the two never append to one file. */
export const PARTIAL_SUFFIX = '.repscope-partial';
/** Python's name, which repscope used too before it had its own. */
const PYTHON_PARTIAL_SUFFIX = '.incomplete';
/** A `.incomplete` nobody has written to for this long has no live writer (Python gives up on a silent connection after seconds). */
const IDLE_PARTIAL_MS = 120_000;

/**
 * Take over `<etag>.incomplete` when nobody can be writing it — we hold Python's lock, or it
 * has not changed for two minutes: an earlier repscope left it (it used that name), or a Python
 * download died. Its bytes become our partial (resumed, then hash-checked); it is removed either way.
 */
function adoptLegacyPartial(legacy: string, partial: string, pythonLocked: boolean): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(legacy);
  } catch {
    return;
  }
  if (!pythonLocked && Date.now() - stat.mtimeMs < IDLE_PARTIAL_MS) return;
  if (!fs.existsSync(partial) || sizeOf(legacy) > sizeOf(partial)) fs.renameSync(legacy, partial);
  else fs.rmSync(legacy, { force: true });
}

/**
 * Bring one blob into the cache: resumable (HTTP Range from what a previous attempt left in
 * `<blob>.repscope-partial`), checked against the hub's hash before the rename that makes it
 * visible, and downloaded by one process while others wait — other repscope processes on our
 * lock file beside the blob, Python's huggingface_hub on its flock under `.locks/`.
 */
export async function downloadBlob(cache: CachedRepo, file: HubFile, settings: Pick<HubSettings, 'endpoint' | 'token'>, reporter: DownloadReporter, label: string): Promise<void> {
  const blob = cache.blob(file.etag);
  if (fs.existsSync(blob)) return;
  makeFolder(cache.blob(''));
  const lock = await acquireBlobLock(`${blob}.lock`, (owner) => reporter.note(`${label}: waiting for ${owner}, which is downloading it`));
  let pythonLock: PythonLock | undefined;
  try {
    if (fs.existsSync(blob)) return;
    const lockFile = cache.pythonLock(file.etag);
    pythonLock = await acquirePythonLock(lockFile, () => reporter.note(`${label}: waiting for the process holding ${lockFile} (Python's huggingface_hub downloading it?)`));
    if (fs.existsSync(blob)) return; // Python finished it while we waited
    const partial = `${blob}${PARTIAL_SUFFIX}`;
    adoptLegacyPartial(`${blob}${PYTHON_PARTIAL_SUFFIX}`, partial, pythonLock !== undefined);
    if (sizeOf(partial) > file.size) fs.rmSync(partial);
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchInto(partial, file, settings, reporter, label);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') {
          // A full disk will not finish this file on a resume either: give the space back.
          fs.rmSync(partial, { force: true });
          throw Object.assign(err as Error, { partialRemoved: true });
        }
        if (attempt + 1 >= HUB_ATTEMPTS || !isNetworkFailure(err)) throw err;
        reporter.finish();
        reporter.note(`${label}: connection lost or stalled at ${sizeOf(partial)} of ${file.size} bytes; resuming`);
      }
    }
    const hash = digestFor(file);
    const have = sizeOf(partial);
    await hashExisting(hash, partial, have);
    const digest = hash.digest('hex');
    if (have !== file.size || digest !== file.etag) {
      fs.rmSync(partial, { force: true });
      throw new HubError(
        `${label}: checksum mismatch — the hub says ${file.lfs ? 'sha256' : 'git sha1'} ${file.etag} (${file.size} bytes), the download has ${digest} (${have} bytes); ` +
          'the file was discarded and nothing was cached — try again, and if it repeats the mirror (HF_ENDPOINT) or a proxy is corrupting it',
        'E_HUB_CHECKSUM',
      );
    }
    fs.renameSync(partial, blob);
  } finally {
    pythonLock?.release();
    lock.release();
  }
}

/** Append the missing bytes of `file` to `partial` (or start over when the server will not resume). */
async function fetchInto(partial: string, file: HubFile, settings: Pick<HubSettings, 'endpoint' | 'token'>, reporter: DownloadReporter, label: string): Promise<void> {
  let have = sizeOf(partial);
  if (have === file.size) return;
  // Bytes as stored: a compressed answer would not match the announced size or Range offsets.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  const note = (line: string) => reporter.note(`${label}: ${line}`);
  let response = await hubFetch(file.url, { headers: have > 0 ? { ...headers, range: `bytes=${have}-` } : headers, note }, settings);
  if (have > 0 && response.status >= 400 && response.status < 500) {
    // The server will not resume here (416, or a CDN's 400/403 for this range): asking for the
    // same range again would fail the same way on every run. Start over — and keep the partial
    // until the whole file is coming, in case the refusal had nothing to do with the range.
    await response.body?.cancel().catch(() => {});
    reporter.note(`${label}: the server refused to resume at byte ${have} (HTTP ${response.status}); starting over`);
    response = await hubFetch(file.url, { headers, note }, settings);
  }
  if (!response.ok || !response.body) throw await HubHttpError.of(response, file.url);
  const resumed = have > 0 && response.status === 206 && (response.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`);
  if (!resumed) have = 0;
  const out = fs.openSync(partial, resumed ? 'a' : 'w');
  reporter.start(label, file.size, have);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (have + chunk.byteLength > file.size) throw new HubError(`${label}: the server sent more than the ${file.size} bytes the hub announced`, 'E_HUB_SIZE');
      fs.writeSync(out, chunk);
      have += chunk.byteLength;
      reporter.advance(chunk.byteLength);
    }
  } finally {
    fs.closeSync(out);
  }
  reporter.finish();
}
