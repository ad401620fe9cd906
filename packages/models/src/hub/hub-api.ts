import { HubHttpError, isNetworkFailure } from './hub-error';
import { HUB_ATTEMPTS, hubFetch, HubRequest } from './hub-fetch';
import type { HubSettings } from './hub-settings';

/*
 * The two Hub API calls a download needs, made here rather than through @huggingface/hub:
 * that library refuses any token not starting with hf_ (a raw TypeError for a mirror's or an
 * enterprise hub's token), drops the hub's X-Error-Code, and its fetch cannot be given a proxy.
 */

export interface ModelListing {
  /** The commit the revision points at. */
  sha: unknown;
  files: string[];
}

export interface PathInfo {
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}

/** Largest API answer read (a listing of a repo with 100k files is ~10 MB). */
const MAX_API_BYTES = 64 << 20;

const encodePath = (repo: string) => repo.split('/').map(encodeURIComponent).join('/');

async function apiJson(url: string, init: HubRequest, settings: HubSettings): Promise<unknown> {
  // A body that stalls after the head arrived is retried like a refused connection.
  for (let attempt = 0; ; attempt++) {
    const response = await hubFetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } }, settings);
    if (!response.ok) throw await HubHttpError.of(response, url);
    try {
      const text = await readCapped(response, MAX_API_BYTES);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${settings.endpoint} answered ${url} with something that is not JSON`);
      }
    } catch (err) {
      if (attempt + 1 >= HUB_ATTEMPTS || !isNetworkFailure(err)) throw err;
    }
  }
}

async function readCapped(response: { body: AsyncIterable<Uint8Array> | null } & { body: unknown }, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    length += chunk.byteLength;
    if (length > max) throw new Error(`answer larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `GET /api/models/{repo}/revision/{rev}`: the commit and the file list, as `model_info(expand=[sha, siblings])`. */
export async function fetchModelListing(repo: string, revision: string, settings: HubSettings, note?: (line: string) => void): Promise<ModelListing> {
  const url = `${settings.endpoint}/api/models/${encodePath(repo)}/revision/${encodeURIComponent(revision)}?expand=sha&expand=siblings`;
  const data = (await apiJson(url, { ...(note ? { note } : {}) }, settings)) as { sha?: unknown; siblings?: { rfilename?: unknown }[] } | null;
  const siblings = Array.isArray(data?.siblings) ? data.siblings : [];
  return { sha: data?.sha, files: siblings.map((s) => s?.rfilename).filter((f): f is string => typeof f === 'string') };
}

/** `POST /api/models/{repo}/paths-info/{commit}`: size and hashes of the named files. */
export async function fetchPathsInfo(repo: string, commit: string, paths: string[], settings: HubSettings, note?: (line: string) => void): Promise<PathInfo[]> {
  const url = `${settings.endpoint}/api/models/${encodePath(repo)}/paths-info/${encodeURIComponent(commit)}`;
  const data = await apiJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths }), ...(note ? { note } : {}) }, settings);
  if (!Array.isArray(data)) throw new Error(`${settings.endpoint} answered paths-info with something other than a list`);
  return data.filter((d): d is PathInfo => Boolean(d) && typeof (d as PathInfo).path === 'string');
}
