import { Agent, Dispatcher, fetch as undiciFetch, Pool, ProxyAgent, Response } from 'undici';
import { HubError, isNetworkFailure } from './hub-error';
import type { HubSettings } from './hub-settings';

/** Attempts per request, as Python's `http_backoff` (one try and five retries): the hub and its CDN answer the odd 5xx, 429 or reset that a retry fixes. */
export const HUB_ATTEMPTS = 6;

/** Python retries these (408 and 429 included); anything else is an answer. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The longest a rate limit is waited out in one go; the hub's windows are five minutes, asked for in parts. */
export const MAX_RATE_LIMIT_WAIT_S = 60;

const MAX_REDIRECTS = 10;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/**
 * How long a server may keep us waiting for the response head or, once the body flows, for the
 * next bytes. Node's default is five minutes; a connection a NAT or proxy silently dropped would
 * hang that long per attempt. `HF_HUB_DOWNLOAD_TIMEOUT` (seconds) as in Python, default 30 s;
 * a slow but live link keeps sending bytes and never trips it.
 */
export function hubTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env['HF_HUB_DOWNLOAD_TIMEOUT']);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 30_000;
}

function backoffMs(attempt: number): number {
  const base = Number(process.env['REPSCOPE_HUB_RETRY_MS'] ?? 500);
  return Math.min(base * 2 ** attempt, 8_000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- proxies -------------------------------------------------------------------------------

/** `NAME` or `name` from the environment; the lower-case one wins, as in curl and Python. */
const envVar = (env: NodeJS.ProcessEnv, name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;

/**
 * The proxy Python's requests would use for `url`: `https_proxy` for https, `http_proxy` for
 * http, else `all_proxy`, unless `no_proxy` names the host. (undici's EnvHttpProxyAgent sends
 * https through HTTP_PROXY when HTTPS_PROXY is unset, which Python and curl do not.)
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const scheme = url.protocol.replace(/:$/, '');
  const proxy = envVar(env, `${scheme}_proxy`) ?? envVar(env, 'all_proxy');
  if (!proxy || bypassesProxy(url, envVar(env, 'no_proxy') ?? '')) return undefined;
  // requests reads a bare `host:port` as an http:// proxy.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const ipv4 = (text: string) => {
  const m = IPV4.exec(text);
  return m ? m.slice(1).reduce((n, part) => n * 256 + Number(part), 0) : undefined;
};

/** `no_proxy`: `*`, host names (a name also covers its subdomains; a leading `.` or `*.` is the same), `host:port`, and IPv4 addresses or CIDR ranges. */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(entry);
    if (cidr) {
      const [net, ip, bits] = [ipv4(cidr[1]!), ipv4(host), Number(cidr[2])];
      if (net !== undefined && ip !== undefined && bits <= 32) {
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        if (((net & mask) >>> 0) === ((ip & mask) >>> 0)) return true;
      }
      continue;
    }
    const withPort = /^(.*):(\d+)$/.exec(entry);
    const name = (withPort ? withPort[1]! : entry).replace(/^\*?\./, '');
    if (withPort && withPort[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

const dispatchers = new Map<string, Dispatcher>();

/** One connection pool per (proxy, timeout), kept for the process. */
function dispatcherFor(proxy: string | undefined, timeoutMs: number): Dispatcher {
  const key = `${proxy ?? ''}|${timeoutMs}`;
  let d = dispatchers.get(key);
  if (!d) {
    const timeouts = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
    d = proxy
      ? new ProxyAgent({
          uri: proxy,
          ...timeouts,
          // Plain http through an http proxy as an absolute-URI request, as requests sends it
          // (many proxies allow CONNECT to port 443 only); https tunnels with CONNECT.
          proxyTunnel: false,
          // The pool to the proxy itself would otherwise wait five minutes for a stalled answer.
          factory: (origin: string | URL, opts: object) => new Pool(origin, { ...opts, ...timeouts }),
        })
      : new Agent(timeouts);
    dispatchers.set(key, d);
  }
  return d;
}

// ---- requests ------------------------------------------------------------------------------

export interface HubRequest {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** A line for the person waiting (a rate-limit pause). */
  note?: (line: string) => void;
}

/**
 * One request, following redirects by hand so the token goes only where it belongs: the
 * endpoint's own origin gets `Authorization: Bearer <token>` (any token: a mirror's or an
 * enterprise hub's need not start with hf_), and once a redirect leaves that origin — the CDN
 * a file lives on — the header is dropped for good, as requests does.
 */
async function requestOnce(url: string, init: HubRequest, settings: Pick<HubSettings, 'endpoint' | 'token'>): Promise<{ response: Response; proxy?: string }> {
  let current = new URL(url);
  const home = new URL(settings.endpoint).origin;
  let withToken = Boolean(settings.token) && current.origin === home;
  let method = init.method ?? 'GET';
  let body = init.body;
  const timeoutMs = hubTimeoutMs();
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...init.headers };
    if (withToken) headers['authorization'] = `Bearer ${settings.token}`;
    const proxy = proxyFor(current);
    let response: Response;
    try {
      response = await undiciFetch(current, { method, headers, body, redirect: 'manual', dispatcher: dispatcherFor(proxy, timeoutMs) });
    } catch (err) {
      // Messages name the proxy a failure went through.
      if (proxy && err && typeof err === 'object') Object.assign(err, { proxy });
      throw err;
    }
    const location = response.headers.get('location');
    if (!REDIRECT.has(response.status) || !location) return { response, ...(proxy ? { proxy } : {}) };
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new HubError(`${url}: more than ${MAX_REDIRECTS} redirects`, 'E_HUB_PROTOCOL');
    const next = new URL(location, current);
    if (next.origin !== current.origin) withToken = false;
    if (response.status === 303 || (method === 'POST' && (response.status === 301 || response.status === 302))) {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
}

/**
 * Seconds a 429 (or a 503 with Retry-After) asks us to wait: the hub's `RateLimit:
 * "api";r=0;t=55` (t once nothing remains), else `Retry-After` (seconds or an HTTP date).
 */
export function rateLimitWaitS(headers: { get(name: string): string | null }, status: number): number | undefined {
  if (status === 429) {
    const limit = headers.get('ratelimit') ?? '';
    const remaining = /(?:^|[;,\s])r\s*=\s*(\d+)/.exec(limit);
    const reset = /(?:^|[;,\s])t\s*=\s*(\d+)/.exec(limit);
    if (remaining && reset && Number(remaining[1]) === 0) return Number(reset[1]);
  }
  const after = headers.get('retry-after')?.trim();
  if (!after) return undefined;
  if (/^\d+$/.test(after)) return Number(after);
  const when = Date.parse(after);
  return Number.isNaN(when) ? undefined : Math.max(0, (when - Date.now()) / 1000);
}

/**
 * `fetch` for the hub and its CDN: proxies from the environment, the token on the endpoint's
 * origin only, time limits, and retries of what a retry fixes — 408/429/5xx and dropped or
 * stalled connections with exponential back-off, and a rate limit for as long as the hub asks
 * (up to a minute at a time, +1 s as Python adds) instead of giving up within seconds.
 */
export async function hubFetch(url: string, init: HubRequest, settings: Pick<HubSettings, 'endpoint' | 'token'>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt === HUB_ATTEMPTS - 1;
    let waitMs = backoffMs(attempt);
    try {
      const { response } = await requestOnce(url, init, settings);
      if (!RETRYABLE_STATUS.has(response.status) || last) return response;
      const asked = rateLimitWaitS(response.headers, response.status);
      await response.body?.cancel().catch(() => {});
      if (asked !== undefined) {
        const seconds = Math.min(MAX_RATE_LIMIT_WAIT_S, asked + 1);
        waitMs = seconds * 1000;
        init.note?.(`${new URL(url).host} asks to wait (HTTP ${response.status}); retrying in ${seconds.toFixed(0)} s [${attempt + 1}/${HUB_ATTEMPTS - 1}]`);
      }
    } catch (err) {
      if (last || !isNetworkFailure(err)) throw err;
    }
    await sleep(waitMs);
  }
}
