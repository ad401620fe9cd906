import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { checkpointFiles, closedPort, commitId, ForwardProxy, GPT2_TINY, MockHub, startForwardProxy, startMockHub, tempDir } from '@repscope/test-support';
import { createDownloadReporter, DownloadReporter } from '../download-progress';
import { hubFailure } from '../hub-error';
import { bypassesProxy, proxyFor, rateLimitWaitS } from '../hub-fetch';
import { fetchHubHeaders } from '../hub-headers';
import { ensureHubModel } from '../hub-model';
import { parseHubRef } from '../hub-ref';
import type { HubSettings } from '../hub-settings';

/*
 * The hub client on a real network's terms, against real services on 127.0.0.1: the mock hub,
 * a CDN on a second port (another origin), a forward proxy in its own process, flock(1).
 */

jest.setTimeout(30_000);

const MAIN = commitId('network main');
const WEIGHTS = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY', 'HF_HUB_DOWNLOAD_TIMEOUT'];

let hub: MockHub;
let settings: HubSettings;
let notes: string[];
let reporter: DownloadReporter;
const savedEnv: Record<string, string | undefined> = {};

async function startHub(cdn: 'same-origin' | 'separate' = 'same-origin'): Promise<void> {
  hub = await startMockHub({ cdn });
  hub.addRepo('org/gpt2-tiny', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) } });
  settings = { endpoint: hub.url, token: undefined, offline: false, cacheDir: path.join(tempDir(), 'hub') };
}

const ensure = (text: string, extra: Partial<HubSettings> = {}) => ensureHubModel(parseHubRef(text), { settings: { ...settings, ...extra }, reporter });
const blobsDir = () => path.join(settings.cacheDir, 'models--org--gpt2-tiny', 'blobs');

async function failure(promise: Promise<unknown>): Promise<{ code?: string; exitCode?: number; message: string }> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; exitCode?: number; message: string } | undefined;
  expect(err).toBeDefined();
  expect(err!.message).not.toContain('\n');
  expect(err!.exitCode).toBe(2);
  return err!;
}

async function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => {
  for (const k of [...PROXY_VARS, 'REPSCOPE_HUB_RETRY_MS']) savedEnv[k] = process.env[k];
});

beforeEach(() => {
  for (const k of PROXY_VARS) delete process.env[k];
  process.env['REPSCOPE_HUB_RETRY_MS'] = '5';
  notes = [];
  reporter = { ...createDownloadReporter('silent'), note: (line) => void notes.push(line) };
});

afterEach(async () => {
  await hub?.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY)', () => {
  let proxy: ForwardProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  test('every request to the hub and to its CDN goes through the proxy; NO_PROXY goes direct; a dead proxy is named in one line', async () => {
    await startHub('separate');
    proxy = await startForwardProxy();
    process.env['HTTP_PROXY'] = proxy.url;
    const { commit } = await ensure('hf:org/gpt2-tiny');
    expect(commit).toBe(MAIN);
    // The proxy forwarded exactly what the hub and the CDN served (it logs before forwarding).
    await waitFor(() => proxy!.requests.length >= hub.requests.length);
    const seen = proxy.requests.map((r) => `${r.method} ${new URL(r.target).origin}${decodeURIComponent(new URL(r.target).pathname)}`).sort();
    const served = hub.requests.map((r) => `${r.method} ${r.cdn ? hub.cdnUrl : hub.url}${r.path}`).sort();
    expect(seen).toEqual(served);
    expect(served.some((r) => r.startsWith(`GET ${hub.cdnUrl}/cdn/`))).toBe(true);
    expect(served.some((r) => r.startsWith('POST ') && r.includes('/paths-info/'))).toBe(true);

    const before = proxy.requests.length;
    process.env['NO_PROXY'] = 'localhost,127.0.0.1';
    await ensure('hf:org/gpt2-tiny', { cacheDir: path.join(tempDir(), 'hub') });
    expect(proxy.requests.length).toBe(before);

    delete process.env['NO_PROXY'];
    const dead = `http://127.0.0.1:${await closedPort()}`;
    process.env['http_proxy'] = dead; // lower case wins over HTTP_PROXY, as in curl and Python
    const err = await failure(ensure('hf:org/gpt2-tiny', { cacheDir: path.join(tempDir(), 'hub') }));
    expect(err.code).toBe('E_HUB_NETWORK');
    expect(err.message).toContain(`through the proxy ${dead}`);
    expect(proxy.requests.length).toBe(before);
  });

  test('which proxy a URL gets, as Python requests picks it', () => {
    const env = { HTTP_PROXY: 'http://p1:3128', https_proxy: 'p2:3129' };
    expect(proxyFor(new URL('http://hub.example/x'), env)).toBe('http://p1:3128');
    // A bare host:port is an http:// proxy.
    expect(proxyFor(new URL('https://hub.example/x'), env)).toBe('http://p2:3129');
    // No HTTPS_PROXY: https goes direct (not through HTTP_PROXY), unless ALL_PROXY says otherwise.
    expect(proxyFor(new URL('https://hub.example/x'), { HTTP_PROXY: 'http://p1:3128' })).toBeUndefined();
    expect(proxyFor(new URL('https://hub.example/x'), { HTTP_PROXY: 'http://p1:3128', ALL_PROXY: 'http://p3:1' })).toBe('http://p3:1');
    expect(proxyFor(new URL('http://hub.example/x'), { http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:1' })).toBe('http://lower:1');
    const url = (u: string) => new URL(u);
    expect(bypassesProxy(url('https://cdn.example.com/x'), 'example.com')).toBe(true);
    expect(bypassesProxy(url('https://cdn.example.com/x'), '.example.com')).toBe(true);
    expect(bypassesProxy(url('https://cdn.example.com/x'), '*.example.com')).toBe(true);
    expect(bypassesProxy(url('https://notexample.com/x'), 'example.com')).toBe(false);
    expect(bypassesProxy(url('http://mirror:8080/x'), 'mirror:8080')).toBe(true);
    expect(bypassesProxy(url('http://mirror:8081/x'), 'mirror:8080')).toBe(false);
    expect(bypassesProxy(url('http://10.1.2.3/x'), '192.168.0.0/16, 10.0.0.0/8')).toBe(true);
    expect(bypassesProxy(url('http://11.1.2.3/x'), '10.0.0.0/8')).toBe(false);
    expect(bypassesProxy(url('http://anything/x'), '*')).toBe(true);
    expect(proxyFor(url('http://10.1.2.3/x'), { HTTP_PROXY: 'http://p:1', no_proxy: '10.0.0.0/8' })).toBeUndefined();
  });
});

describe('tokens', () => {
  test('a token that does not start with hf_ is sent as a Bearer on the hub (same-origin redirects too) and never to the CDN on another origin', async () => {
    await startHub('separate');
    hub.addRepo('corp/private', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) }, token: 'corp-token-123' });
    hub.alias('corp/old-name', 'corp/private');
    const token = { token: 'corp-token-123' };
    const { dir } = await ensure('hf:corp/old-name', token);
    expect(sha256(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha256(WEIGHTS));
    const onHub = hub.requests.filter((r) => !r.cdn);
    const onCdn = hub.requests.filter((r) => r.cdn);
    // The rename's 307 stays on the hub's origin: the token goes along.
    expect(onHub.some((r) => r.path.startsWith('/api/models/corp/old-name/'))).toBe(true);
    expect(onHub.every((r) => r.authorization === 'Bearer corp-token-123')).toBe(true);
    expect(onCdn).toHaveLength(1);
    expect(onCdn[0]!.authorization).toBeUndefined();

    // validate's range reads follow the same rule.
    const before = hub.requests.length;
    const headers = await fetchHubHeaders(parseHubRef('hf:corp/private'), { ...settings, ...token });
    headers.dispose();
    const reads = hub.requests.slice(before);
    expect(reads.filter((r) => r.cdn).map((r) => r.range)).toEqual(['bytes=0-7', expect.stringMatching(/^bytes=8-\d+$/)]);
    expect(reads.filter((r) => r.cdn).every((r) => r.authorization === undefined)).toBe(true);
    expect(reads.filter((r) => !r.cdn).every((r) => r.authorization === 'Bearer corp-token-123')).toBe(true);
  });

  test('whatever else goes wrong inside the client is one E_HUB_ line, never a stack', async () => {
    // A "hub" that answers the API with something that is not JSON.
    const server = http.createServer((_req, res) => res.end('<html>captive portal</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await startHub();
      const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const err = await failure(ensure('hf:org/gpt2-tiny', { endpoint }));
      expect(err.code).toMatch(/^E_HUB_/);
      expect(err.message).toMatch(/^hf:org\/gpt2-tiny: .*not JSON/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const raw = hubFailure(new TypeError("Your access token must start with 'hf_'\n    at checkCredentials"), 'hf:a/b', settings) as { code?: string; message: string };
    expect(raw.code).toBe('E_HUB_FAILED');
    expect(raw.message).toBe("hf:a/b: Your access token must start with 'hf_'");
  });
});

describe('rate limits', () => {
  test('a 429 waits as long as RateLimit (t=…) or Retry-After asks, and more 429s than the old four tries are outlasted', async () => {
    await startHub();
    hub.failNext(/\/revision\//, 429, 1, { RateLimit: '"api";r=0;t=0', 'RateLimit-Policy': '"fixed window";"api";q=500;w=300' });
    hub.failNext(/^\/cdn\//, 429, 1, { 'Retry-After': '0' });
    const started = Date.now();
    await ensure('hf:org/gpt2-tiny');
    // Each wait is what was asked plus Python's one second; the back-off alone is 5 ms here.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(notes.filter((n) => /asks to wait \(HTTP 429\); retrying in 1 s/.test(n))).toHaveLength(2);

    // Five 429s in a row without a hint: back-off, then success on the sixth try (as Python's five retries).
    hub.failNext(/\/revision\//, 429, 5);
    await ensure('hf:org/gpt2-tiny', { cacheDir: path.join(tempDir(), 'hub') });
    hub.failNext(/\/revision\//, 429, 6);
    const err = await failure(ensure('hf:org/gpt2-tiny', { cacheDir: path.join(tempDir(), 'hub') }));
    expect(err.code).toBe('E_HUB_RATE_LIMITED');
  });

  test('reading the hints', () => {
    const headers = (h: Record<string, string>) => new Headers(h);
    expect(rateLimitWaitS(headers({ RateLimit: '"api";r=0;t=55' }), 429)).toBe(55);
    expect(rateLimitWaitS(headers({ RateLimit: '"api";r=3;t=55' }), 429)).toBeUndefined();
    expect(rateLimitWaitS(headers({ RateLimit: '"resolvers";r=0;t=12', 'Retry-After': '99' }), 429)).toBe(12);
    expect(rateLimitWaitS(headers({ 'Retry-After': '7' }), 503)).toBe(7);
    const date = rateLimitWaitS(headers({ 'Retry-After': new Date(Date.now() + 30_000).toUTCString() }), 429)!;
    expect(date).toBeGreaterThan(25);
    expect(date).toBeLessThanOrEqual(30);
  });
});

describe('resumes, partial files and Python’s lock', () => {
  test('a partial file a ranged request cannot resume (a CDN answering 403 to Range) is started over, not kept for ever', async () => {
    await startHub();
    // What an earlier repscope left under Python's name.
    fs.mkdirSync(blobsDir(), { recursive: true });
    fs.writeFileSync(path.join(blobsDir(), `${sha256(WEIGHTS)}.incomplete`), WEIGHTS.subarray(0, 12345));
    hub.refuseRanges(/^\/cdn\//, 403);
    const { dir } = await ensure('hf:org/gpt2-tiny');
    expect(hub.requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.range)).toEqual(['bytes=12345-', undefined]);
    expect(sha256(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha256(WEIGHTS));
    expect(fs.readdirSync(blobsDir()).filter((f) => /\.(incomplete|repscope-partial)$/.test(f))).toEqual([]);
    expect(notes.some((n) => /refused to resume at byte 12345 \(HTTP 403\); starting over/.test(n))).toBe(true);
  });

  const flockProblem = spawnProblem('flock', ['--version']);
  (flockProblem ? test.skip : test)(`while Python holds its flock on .locks/…/<etag>.lock we wait, then use the blob it wrote${flockProblem ? ` (skipped: ${flockProblem})` : ''}`, async () => {
    await startHub();
    const repoLocks = path.join(settings.cacheDir, '.locks', 'models--org--gpt2-tiny');
    fs.mkdirSync(repoLocks, { recursive: true });
    const lockFile = path.join(repoLocks, `${sha256(WEIGHTS)}.lock`);
    // Python's filelock takes the same flock(2) that flock(1) takes.
    const python = spawn('flock', ['--exclusive', lockFile, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => python.stdout.once('data', r));
      const pending = ensure('hf:org/gpt2-tiny');
      pending.catch(() => {});
      await waitFor(() => notes.some((n) => n.includes(`waiting for the process holding ${lockFile}`)), 3_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(hub.requests.filter((r) => r.path.startsWith('/cdn/'))).toEqual([]);
      // "Python" finishes: the blob appears, then the lock is released.
      fs.writeFileSync(path.join(blobsDir(), sha256(WEIGHTS)), WEIGHTS);
      python.stdin.end();
      const { dir } = await pending;
      expect(hub.requests.filter((r) => r.path.startsWith('/cdn/'))).toEqual([]);
      expect(sha256(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha256(WEIGHTS));
    } finally {
      python.stdin.end(); // cat sees EOF, exits, and flock with it
    }
  });
});

function spawnProblem(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args);
  return r.error ? `${cmd}: ${r.error.message}` : r.status === 0 ? undefined : `${cmd} exited ${r.status}`;
}

describe('timeouts', () => {
  test('a server that stops answering (no response head, or a body that stalls) is given up on after HF_HUB_DOWNLOAD_TIMEOUT and retried; the partial has our own name', async () => {
    await startHub();
    process.env['HF_HUB_DOWNLOAD_TIMEOUT'] = '0.5';
    hub.stallNext(/\/revision\//);
    hub.stallNext(/^\/cdn\//, 100_000);
    const partialNames: string[] = [];
    const watch = setInterval(() => {
      if (fs.existsSync(blobsDir())) partialNames.push(...fs.readdirSync(blobsDir()).filter((f) => f.startsWith(sha256(WEIGHTS)) && f !== sha256(WEIGHTS)));
    }, 20);
    try {
      const { dir } = await ensure('hf:org/gpt2-tiny');
      expect(sha256(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha256(WEIGHTS));
    } finally {
      clearInterval(watch);
    }
    expect(hub.requests.filter((r) => r.path.includes('/revision/'))).toHaveLength(2);
    expect(hub.requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.range)).toEqual([undefined, 'bytes=100000-']);
    expect(notes.some((n) => /connection lost or stalled at 100000 of \d+ bytes; resuming/.test(n))).toBe(true);
    // Never Python's `.incomplete`: a Python download of the same blob writes that one.
    expect([...new Set(partialNames)].filter((f) => !f.endsWith('.lock'))).toEqual([`${sha256(WEIGHTS)}.repscope-partial`]);
  });

  test('a server that never answers is one E_HUB_TIMEOUT line after the retries', async () => {
    await startHub();
    process.env['HF_HUB_DOWNLOAD_TIMEOUT'] = '0.2';
    for (let i = 0; i < 6; i++) hub.stallNext(/\/revision\//);
    const err = await failure(ensure('hf:org/gpt2-tiny'));
    expect(err.code).toBe('E_HUB_TIMEOUT');
    expect(err.message).toMatch(/stopped answering .*HF_HUB_DOWNLOAD_TIMEOUT/);
  });
});
