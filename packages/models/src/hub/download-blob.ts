import { createHash, Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { HubApiError } from '@huggingface/hub';
import { acquireBlobLock } from './blob-lock';
import type { CachedRepo } from './hub-cache';
import { HubError, isNetworkFailure } from './hub-error';
import { HUB_ATTEMPTS, retryingFetch } from './hub-fetch';
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

/**
 * Bring one blob into the cache: resumable (HTTP Range from what a previous attempt left in
 * `<blob>.incomplete`, the name Python uses too), checked against the hub's hash before the
 * rename that makes it visible, and downloaded by one process while others wait.
 */
export async function downloadBlob(cache: CachedRepo, file: HubFile, token: string | undefined, reporter: DownloadReporter, label: string): Promise<void> {
  const blob = cache.blob(file.etag);
  if (fs.existsSync(blob)) return;
  makeFolder(cache.blob(''));
  const lock = await acquireBlobLock(`${blob}.lock`, (owner) => reporter.note(`${label}: waiting for ${owner}, which is downloading it`));
  try {
    if (fs.existsSync(blob)) return;
    const partial = `${blob}.incomplete`;
    if (sizeOf(partial) > file.size) fs.rmSync(partial);
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchInto(partial, file, token, reporter, label);
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
        reporter.note(`${label}: connection lost at ${sizeOf(partial)} of ${file.size} bytes; resuming`);
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
    lock.release();
  }
}

/** Append the missing bytes of `file` to `partial` (or start over when the server ignores Range). */
async function fetchInto(partial: string, file: HubFile, token: string | undefined, reporter: DownloadReporter, label: string): Promise<void> {
  let have = sizeOf(partial);
  if (have === file.size) return;
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (have > 0) headers['Range'] = `bytes=${have}-`;
  const response = await retryingFetch(file.url, { headers });
  if (response.status === 416) {
    await response.body?.cancel();
    fs.rmSync(partial, { force: true });
    throw new HubError(`${label}: the server refused to resume at byte ${have}; run again to start over`, 'E_HUB_RANGE');
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new HubApiError(file.url, response.status);
  }
  const resumed = response.status === 206 && (response.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`);
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
