import { HubApiError } from '@huggingface/hub';
import { InvalidInputError, UserFacingError } from '../util/errors';
import type { HubSettings } from './hub-settings';

/** A model could not be made available: one line, exit 2, nothing run. */
export class HubError extends InvalidInputError {
  constructor(message: string, code: string) {
    super(message, code);
    this.name = 'HubError';
  }
}

/**
 * A response the hub (or its CDN) answered with an error status, with what the hub says about
 * it: `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and
 * `X-Error-Message`, the headers Python's `hf_raise_for_status` reads.
 */
export class HubHttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly errorCode?: string,
    readonly errorMessage?: string,
  ) {
    super(`HTTP ${status}${errorCode ? ` (${errorCode})` : ''} for ${url}`);
    this.name = 'HubHttpError';
  }

  static async of(response: { status: number; headers: { get(name: string): string | null }; body?: { cancel(): Promise<void> } | null }, url: string): Promise<HubHttpError> {
    await response.body?.cancel().catch(() => {});
    return new HubHttpError(url, response.status, response.headers.get('x-error-code') ?? undefined, response.headers.get('x-error-message') ?? undefined);
  }
}

/** What the hub says when the token itself is not valid (Python tells this 401 apart from a private repo's). */
const INVALID_CREDENTIALS = 'Invalid credentials in Authorization header';
const DISABLED = 'Access to this resource is disabled.';

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

const TIMEOUT_CODES = ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'];

export function isTimeout(err: unknown): boolean {
  return TIMEOUT_CODES.includes(networkCode(err) ?? '');
}

export function isNetworkFailure(err: unknown): boolean {
  return (
    (err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message)) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', ...TIMEOUT_CODES].includes(networkCode(err) ?? '')
  );
}

/** `org/name` of an `hf:org/name@rev` reference, for the repo's page in messages. */
const repoOf = (ref: string) => ref.replace(/^hf:/, '').replace(/@.*$/, '');

const tokenFrom = (settings: HubSettings) => `the token in ${settings.tokenSource ?? 'HF_TOKEN'}`;

/** The line for an error status, reading the hub's X-Error-Code / X-Error-Message as Python does. */
function httpFailure(status: number, errorCode: string | undefined, errorMessage: string | undefined, subject: string, ref: string, settings: HubSettings): HubError {
  const where = settings.endpoint;
  const page = `${where}/${repoOf(ref)}`;
  if (errorCode === 'RevisionNotFound') return new HubError(`${subject}: not found on ${where} (HTTP ${status}): the repo has no such branch, tag or commit (RevisionNotFound) — check the revision after @`, 'E_HUB_NOT_FOUND');
  if (errorCode === 'EntryNotFound') return new HubError(`${subject}: not found on ${where} (HTTP ${status}): the repo has no such file at this revision (EntryNotFound)`, 'E_HUB_NOT_FOUND');
  if (errorCode === 'GatedRepo') {
    return new HubError(
      settings.token
        ? `${subject}: ${where} refused access (HTTP ${status}): the repo is gated (GatedRepo) and ${tokenFrom(settings)} has no access to it — request access at ${page} with the account the token belongs to`
        : `${subject}: ${where} refused access (HTTP ${status}): the repo is gated (GatedRepo) — request access at ${page}, then set HF_TOKEN to a token of that account`,
      'E_HUB_AUTH',
    );
  }
  if (errorMessage === DISABLED) return new HubError(`${subject}: ${where} has disabled this repo (HTTP ${status}): its files cannot be downloaded`, 'E_HUB_DISABLED');
  if (status === 401 && errorMessage === INVALID_CREDENTIALS) {
    return new HubError(`${subject}: ${where} refused access (HTTP 401): it does not accept ${tokenFrom(settings)} (invalid credentials) — the token is wrong, expired or for another hub; renew it or unset it`, 'E_HUB_AUTH');
  }
  if (errorCode === 'RepoNotFound') {
    return new HubError(
      `${subject}: not found on ${where} (HTTP ${status}): no repo by that name (RepoNotFound) — check the name; a private repo looks the same ${settings.token ? `to a token without access (${tokenFrom(settings)})` : 'without a token, so set HF_TOKEN if it is one'}`,
      'E_HUB_NOT_FOUND',
    );
  }
  if (status === 401 || status === 403) {
    return new HubError(
      `${subject}: ${where} refused access (HTTP ${status}): the repo is gated or private, or does not exist — ${settings.token ? `${tokenFrom(settings)} has no access to it` : 'set HF_TOKEN to a token with access'}`,
      'E_HUB_AUTH',
    );
  }
  if (status === 404) return new HubError(`${subject}: not found on ${where} (HTTP 404): check the repo name and revision`, 'E_HUB_NOT_FOUND');
  if (status === 429) return new HubError(`${subject}: ${where} is rate-limiting these requests (HTTP 429) and still was after the retries, each waiting as long as it asked; try again in a few minutes (a token raises the limits)`, 'E_HUB_RATE_LIMITED');
  return new HubError(`${subject}: ${where} answered HTTP ${status}; try again later`, 'E_HUB_HTTP');
}

/** Turn whatever went wrong while talking to the hub into the one line a person needs. */
export function hubFailure(err: unknown, ref: string, settings: HubSettings, what = ''): Error {
  if (err instanceof HubError) return err;
  const subject = what ? `${ref} ${what}` : ref;
  if (err instanceof HubHttpError) return httpFailure(err.status, err.errorCode, err.errorMessage, subject, ref, settings);
  if (err instanceof HubApiError) return httpFailure(err.statusCode, undefined, undefined, subject, ref, settings);
  // Already a one-line input error with its own code (a bad index, a bad reference).
  if (err instanceof UserFacingError) return err;
  const code = networkCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const removed = (err as { partialRemoved?: boolean }).partialRemoved ? '; the partial download was removed to give the space back' : '';
    return new HubError(`${subject}: disk full while writing to ${settings.cacheDir}${removed} — free space or point HF_HUB_CACHE at a larger disk`, 'E_HUB_DISK_FULL');
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new HubError(`${subject}: cannot write to the cache ${settings.cacheDir} (${code}); make it writable or point HF_HUB_CACHE at a folder that is`, 'E_HUB_CACHE_ACCESS');
  }
  const proxy = (err as { proxy?: string }).proxy;
  const via = proxy ? ` through the proxy ${redactProxy(proxy)}` : '';
  if (isTimeout(err)) {
    return new HubError(
      `${subject}: ${settings.endpoint}${via} stopped answering (${code}) and retries did not help; check the network, or raise HF_HUB_DOWNLOAD_TIMEOUT (seconds) for a slow link`,
      'E_HUB_TIMEOUT',
    );
  }
  if (isNetworkFailure(err)) {
    return new HubError(
      `${subject}: cannot reach ${settings.endpoint}${via} (${code ?? (err as Error).message}); check the network${proxy ? ', the proxy (HTTPS_PROXY/HTTP_PROXY, NO_PROXY)' : ''} or HF_ENDPOINT, or pre-fetch with \`repscope download ${ref}\` where there is network`,
      'E_HUB_NETWORK',
    );
  }
  // Anything else (a library's TypeError, a malformed answer): still one line with a code, never a stack.
  const message = err instanceof Error ? err.message : String(err);
  return new HubError(`${subject}: ${message.split('\n')[0]}${code ? ` (${code})` : ''}`, 'E_HUB_FAILED');
}

/** A proxy URL for messages, without its password. */
export function redactProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return proxy;
  }
}
