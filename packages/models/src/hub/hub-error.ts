import { HubApiError } from '@huggingface/hub';
import { InvalidInputError } from '../util/errors';
import type { HubSettings } from './hub-settings';

/** A model could not be made available: one line, exit 2, nothing run. */
export class HubError extends InvalidInputError {
  constructor(message: string, code: string) {
    super(message, code);
    this.name = 'HubError';
  }
}

/** The errno-style code behind a failed fetch (undici hides it in `cause`). */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isNetworkFailure(err: unknown): boolean {
  return err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message) || ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(networkCode(err) ?? '');
}

/** Turn whatever went wrong while talking to the hub into the one line a person needs. */
export function hubFailure(err: unknown, ref: string, settings: HubSettings, what = ''): Error {
  if (err instanceof HubError) return err;
  const subject = what ? `${ref} ${what}` : ref;
  if (err instanceof HubApiError) {
    const status = err.statusCode;
    if (status === 401 || status === 403) {
      return new HubError(
        `${subject}: ${settings.endpoint} refused access (HTTP ${status}): the repo is gated or private, or does not exist — ${settings.token ? 'the token in HF_TOKEN has no access to it' : 'set HF_TOKEN to a token with access'}`,
        'E_HUB_AUTH',
      );
    }
    if (status === 404) return new HubError(`${subject}: not found on ${settings.endpoint} (HTTP 404): check the repo name and revision`, 'E_HUB_NOT_FOUND');
    return new HubError(`${subject}: ${settings.endpoint} answered HTTP ${status}; try again later`, 'E_HUB_HTTP');
  }
  const code = networkCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const removed = (err as { partialRemoved?: boolean }).partialRemoved ? '; the partial download was removed to give the space back' : '';
    return new HubError(`${subject}: disk full while writing to ${settings.cacheDir}${removed} — free space or point HF_HUB_CACHE at a larger disk`, 'E_HUB_DISK_FULL');
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new HubError(`${subject}: cannot write to the cache ${settings.cacheDir} (${code}); make it writable or point HF_HUB_CACHE at a folder that is`, 'E_HUB_CACHE_ACCESS');
  }
  if (isNetworkFailure(err)) {
    return new HubError(
      `${subject}: cannot reach ${settings.endpoint} (${code ?? (err as Error).message}); check the network or HF_ENDPOINT, or pre-fetch with \`repscope download ${ref}\` where there is network`,
      'E_HUB_NETWORK',
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
