import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { encodeSafetensors } from '@repscope/models';

/**
 * A small Hugging Face Hub on 127.0.0.1 for tests (point HF_ENDPOINT at `url`). It speaks the
 * part of the hub's protocol that @huggingface/hub and huggingface_hub use to fetch a model:
 *   GET  /api/models/{repo}/revision/{rev}     → { id, sha, siblings: [{ rfilename }] }
 *   POST /api/models/{repo}/paths-info/{rev}   → [{ path, type, oid, size, lfs?: { oid, size } }]
 *   GET|HEAD /{repo}/resolve/{rev}/{file}      → small files directly (ETag = git blob sha1);
 *        LFS files (*.safetensors, *.bin) by a 302 to /cdn/{sha256}, with X-Linked-Etag
 *        (the sha256), X-Linked-Size and X-Repo-Commit, as the real hub does
 *   GET  /cdn/{sha256}                          → the bytes, honouring Range
 * plus 307 redirects for renamed repos (gpt2 → openai-community/gpt2), 401 for private repos
 * without the token, 404s with the hub's X-Error-Code and X-Error-Message, and injectable faults.
 * With `{ cdn: 'separate' }` the LFS redirect goes to a second server on another loopback port
 * (another origin, as the real CDN is), whose requests are marked `cdn: true`.
 */
export interface MockHub {
  url: string;
  /** The CDN's origin: `url` itself unless started with `{ cdn: 'separate' }`. */
  cdnUrl: string;
  /** Every request served, in order (with the Authorization header it carried, if any). */
  requests: { method: string; path: string; range?: string; authorization?: string; cdn?: true }[];
  addRepo(name: string, repo: MockRepo): void;
  /** Make a repo name redirect to another, as the hub does for renamed repos. */
  alias(from: string, to: string): void;
  /** The next `count` requests whose path matches answer `status` (with `headers`, e.g. Retry-After). */
  failNext(pattern: RegExp, status: number, count?: number, headers?: Record<string, string>): void;
  /** The next request whose path matches never gets an answer — or, with `afterBytes`, stops sending after that many body bytes — without closing the connection. */
  stallNext(pattern: RegExp, afterBytes?: number): void;
  /** Requests with a Range header whose path matches answer `status` (until cleared with undefined), as a CDN that will not resume. */
  refuseRanges(pattern: RegExp | undefined, status?: number): void;
  /** Requests bearing this token answer 401 with the hub's "Invalid credentials in Authorization header". */
  rejectToken(token: string): void;
  /** The next response whose path matches sends `bytes` bytes of its body, then drops the connection. */
  dropAfter(pattern: RegExp, bytes: number): void;
  /** Responses whose path matches have one byte flipped (until cleared). */
  corrupt(pattern: RegExp | undefined): void;
  /** Send file bodies in `chunk`-byte pieces `delayMs` apart (to make downloads overlap). */
  throttle(chunk: number, delayMs: number): void;
  close(): Promise<void>;
}

export interface MockRepo {
  /** Branch or tag → commit. `main` must be there. */
  refs: Record<string, string>;
  /** Commit → file path → contents (in memory, or a `diskFile` read when asked). */
  commits: Record<string, Record<string, MockFile>>;
  /** Needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Sizes paths-info announces instead of the real ones (a hub that claims a 1 TB file). */
  announcedSizes?: Record<string, number>;
}

/**
 * A file the mock serves from disk, read only when asked and in pieces, so a repo can hold a
 * checkpoint larger than the test wants in memory (the partial-loading bench serves 1.4 GB).
 */
export interface DiskFile {
  diskPath: string;
  size: number;
}

/** What a mock repo file holds: its bytes, or where on disk they are. */
export type MockFile = Buffer | DiskFile;

/** Serve `file` from disk; its size is taken now, its bytes and hashes when first asked. */
export function diskFile(file: string): DiskFile {
  return { diskPath: file, size: fs.statSync(file).size };
}

/** A checkpoint folder as mock repo files: JSON and other small files in memory, *.safetensors / *.bin from disk. */
export function diskCheckpointFiles(dir: string): Record<string, MockFile> {
  const out: Record<string, MockFile> = {};
  for (const f of fs.readdirSync(dir)) out[f] = isLfs(f) ? diskFile(path.join(dir, f)) : fs.readFileSync(path.join(dir, f));
  return out;
}

const isLfs = (file: string) => /\.(safetensors|bin)$/.test(file);
const sizeOf = (f: MockFile) => (Buffer.isBuffer(f) ? f.length : f.size);

/** Bytes [start, start + length) of a file (a view for an in-memory one, a read for a disk one). */
function readPiece(f: MockFile, fd: number | undefined, start: number, length: number): Buffer {
  if (Buffer.isBuffer(f)) return f.subarray(start, start + length);
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd!, out, done, length - done, start + done);
    if (n === 0) throw new Error(`${f.diskPath}: ended at byte ${start + done} of ${f.size}`);
    done += n;
  }
  return out;
}

const diskDigests = new WeakMap<DiskFile, Promise<{ sha256: string; gitSha1: string }>>();

/** The file's sha256 (the LFS oid) and git blob sha1 (the ETag); a disk file is hashed once, streamed. */
async function digestsOf(f: MockFile): Promise<{ sha256: string; gitSha1: string }> {
  if (Buffer.isBuffer(f)) return { sha256: sha256(f), gitSha1: gitSha1(f) };
  let digests = diskDigests.get(f);
  if (!digests) {
    digests = (async () => {
      const sha = createHash('sha256');
      const git = createHash('sha1').update(`blob ${f.size}\0`);
      for await (const chunk of fs.createReadStream(f.diskPath, { highWaterMark: 4 << 20 })) {
        sha.update(chunk as Buffer);
        git.update(chunk as Buffer);
      }
      return { sha256: sha.digest('hex'), gitSha1: git.digest('hex') };
    })();
    diskDigests.set(f, digests);
  }
  return digests;
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

/** A fake commit id, stable per label. */
export function commitId(label: string): string {
  return createHash('sha1').update(label).digest('hex');
}

/** The files of a fixture checkpoint folder (config.json, model.safetensors, preprocessor…; not the expected.* test data). */
export function checkpointFiles(dir: string, extra: Record<string, Buffer | string> = {}): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(dir)) if (!f.startsWith('expected')) out[f] = fs.readFileSync(path.join(dir, f));
  for (const [f, v] of Object.entries(extra)) out[f] = Buffer.from(v);
  return out;
}

/** The same checkpoint split into `count` safetensors shards plus model.safetensors.index.json. */
export function shardedCheckpointFiles(dir: string, count: number): Record<string, Buffer> {
  const header = readSafetensorsHeader(path.join(dir, 'model.safetensors'));
  const names = [...header.entries.keys()];
  const out: Record<string, Buffer> = { 'config.json': fs.readFileSync(path.join(dir, 'config.json')) };
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < count; s++) {
    const shard = `model-${String(s + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    names.forEach((name, i) => {
      if (i % count !== s) return;
      const entry = header.entries.get(name)!;
      tensors[name] = { shape: entry.shape, data: readTensorF32(header, entry) };
      weightMap[name] = shard;
    });
    out[shard] = encodeSafetensors(tensors);
  }
  out['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  return out;
}

/**
 * The same checkpoint sharded by layer, as a large model's would be: embeddings in the first
 * shard, one shard per block, the final norm (and any head) in the last — so a depth-limited
 * download has shards to skip.
 */
export function layeredShardFiles(dir: string): Record<string, Buffer> {
  const header = readSafetensorsHeader(path.join(dir, 'model.safetensors'));
  const groupOf = (name: string) => {
    const block = /(?:^|\.)(?:h|layers|layer)\.(\d+)\./.exec(name);
    if (block) return 1 + Number(block[1]);
    return /(^|\.)(ln_f|norm|final_layer_norm|lm_head|embed_out)\./.test(name) ? Number.MAX_SAFE_INTEGER : 0;
  };
  const groups = [...new Set([...header.entries.keys()].map(groupOf))].sort((a, b) => a - b);
  const out: Record<string, Buffer> = { 'config.json': fs.readFileSync(path.join(dir, 'config.json')) };
  const weightMap: Record<string, string> = {};
  groups.forEach((group, s) => {
    const shard = `model-${String(s + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, entry] of header.entries) {
      if (groupOf(name) !== group) continue;
      tensors[name] = { shape: entry.shape, data: readTensorF32(header, entry) };
      weightMap[name] = shard;
    }
    out[shard] = encodeSafetensors(tensors);
  });
  out['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  return out;
}

/** A loopback port nothing listens on (taken, then released): a hub that refuses connections. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface MockHubOptions {
  /** `separate`: serve LFS files from a second server on another port (another origin). */
  cdn?: 'same-origin' | 'separate';
}

export async function startMockHub(options: MockHubOptions = {}): Promise<MockHub> {
  const repos = new Map<string, MockRepo>();
  const aliases = new Map<string, string>();
  const blobs = new Map<string, MockFile>();
  const requests: MockHub['requests'] = [];
  const failures: { pattern: RegExp; status: number; left: number; headers: Record<string, string> }[] = [];
  const drops: { pattern: RegExp; bytes: number }[] = [];
  const stalls: { pattern: RegExp; afterBytes?: number }[] = [];
  const rejectedTokens = new Set<string>();
  let rangeRefusal: { pattern: RegExp; status: number } | undefined;
  let cdnOrigin = '';
  let corruptPattern: RegExp | undefined;
  let throttle: { chunk: number; delayMs: number } | undefined;

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: http.ServerResponse, code: string, message: string) => json(res, 404, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });

  /** Resolve `{repo}/{rest}` where repo is one or two segments; returns the repo or a redirect target. */
  const findRepo = (segments: string[]): { name: string; repo: MockRepo; rest: string[] } | { redirect: string; rest: string[] } | undefined => {
    for (const n of [2, 1]) {
      const name = segments.slice(0, n).join('/');
      const rest = segments.slice(n);
      if (aliases.has(name)) return { redirect: aliases.get(name)!, rest };
      const repo = repos.get(name);
      if (repo) return { name, repo, rest };
    }
    return undefined;
  };

  const authorised = (req: http.IncomingMessage, repo: MockRepo) => !repo.token || req.headers.authorization === `Bearer ${repo.token}`;

  const commitOf = (repo: MockRepo, rev: string) => (repo.commits[rev] ? rev : repo.refs[rev]);

  async function sendBytes(req: http.IncomingMessage, res: http.ServerResponse, data: MockFile, headers: Record<string, string>, urlPath: string): Promise<void> {
    const total = sizeOf(data);
    // A corrupted response has the byte in the middle of the file flipped (whatever range is asked).
    const flipAt = corruptPattern?.test(urlPath) && total ? total >> 1 : -1;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = req.headers.range && /^bytes=(\d+)-(\d*)$/.exec(req.headers.range);
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), end) : end;
      if (start > end && total > 0) {
        res.writeHead(416, { 'Content-Range': `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${total}`;
    }
    const length = Math.max(0, end + 1 - start);
    res.writeHead(status, { 'Content-Length': String(length), 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', ...headers });
    if (req.method === 'HEAD') return void res.end();
    const drop = drops.findIndex((d) => d.pattern.test(urlPath));
    const limit = drop >= 0 ? drops.splice(drop, 1)[0]!.bytes : Infinity;
    const stall = stalls.findIndex((d) => d.pattern.test(urlPath) && d.afterBytes !== undefined);
    const stallAt = stall >= 0 ? stalls.splice(stall, 1)[0]!.afterBytes! : Infinity;
    const chunk = throttle?.chunk ?? 64 * 1024;
    const fd = Buffer.isBuffer(data) ? undefined : fs.openSync(data.diskPath, 'r');
    try {
      for (let sent = 0; sent < length; sent += chunk) {
        let piece = readPiece(data, fd, start + sent, Math.min(sent + chunk, limit, stallAt, length) - sent);
        const flip = flipAt - (start + sent);
        if (flip >= 0 && flip < piece.length) {
          piece = Buffer.from(piece);
          piece[flip] = piece[flip]! ^ 0xff;
        }
        await new Promise((r) => res.write(piece, r));
        // The connection stays open and silent: only the client's own timeout ends the wait.
        if (sent + piece.length >= stallAt) return;
        if (sent + piece.length >= limit) {
          // The headers promised more: the client sees the connection end mid-file, after exactly `limit` bytes.
          res.socket?.destroySoon();
          return;
        }
        if (throttle) await new Promise((r) => setTimeout(r, throttle!.delayMs));
      }
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, onCdn: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const urlPath = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method ?? 'GET',
      path: urlPath,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(onCdn ? { cdn: true as const } : {}),
    });
    const failure = failures.find((f) => f.left > 0 && f.pattern.test(urlPath));
    if (failure) {
      failure.left--;
      return json(res, failure.status, { error: `injected HTTP ${failure.status}` }, failure.headers);
    }
    const stall = stalls.findIndex((s) => s.afterBytes === undefined && s.pattern.test(urlPath));
    if (stall >= 0) {
      stalls.splice(stall, 1);
      return; // never answered; close() ends the connection
    }
    if (req.headers.range && rangeRefusal?.pattern.test(urlPath)) return json(res, rangeRefusal.status, { error: 'ranges are not served here' });
    const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && rejectedTokens.has(bearer)) {
      const message = 'Invalid credentials in Authorization header';
      return json(res, 401, { error: message }, { 'X-Error-Message': message });
    }
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);

    if (onCdn && segments[0] !== 'cdn') return notFound(res, 'EntryNotFound', 'not a CDN path');
    if (segments[0] === 'cdn' && segments.length === 2) {
      const blob = blobs.get(segments[1]!);
      if (!blob) return notFound(res, 'EntryNotFound', 'no such blob');
      return sendBytes(req, res, blob, { ETag: `"${segments[1]}"` }, urlPath);
    }

    const api = segments[0] === 'api' && segments[1] === 'models';
    const found = findRepo(api ? segments.slice(2) : segments);
    if (!found) return notFound(res, 'RepoNotFound', 'Repository not found');
    if ('redirect' in found) {
      const target = (api ? ['api', 'models'] : []).concat(found.redirect.split('/'), found.rest).map(encodeURIComponent).join('/');
      res.writeHead(307, { Location: `/${target}${url.search}` });
      return void res.end();
    }
    const { name, repo, rest } = found;
    if (!authorised(req, repo)) {
      const message = 'Access to this repo is restricted. You must be authenticated.';
      return json(res, 401, { error: message }, { 'X-Error-Code': 'GatedRepo', 'X-Error-Message': message });
    }

    if (api && rest[0] === 'revision' && rest.length >= 2 && req.method === 'GET') {
      const rev = rest.slice(1).join('/');
      const commit = commitOf(repo, rev);
      if (!commit) return notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return json(res, 200, {
        _id: commitId(name),
        id: name,
        sha: commit,
        private: Boolean(repo.token),
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: '2024-01-01T00:00:00.000Z',
        siblings: Object.keys(repo.commits[commit]!).map((rfilename) => ({ rfilename })),
      });
    }

    if (api && rest[0] === 'paths-info' && rest.length >= 2 && req.method === 'POST') {
      const rev = rest.slice(1).join('/');
      const commit = commitOf(repo, rev);
      if (!commit) return notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      let body = '';
      for await (const chunk of req) body += chunk;
      const wanted = (JSON.parse(body) as { paths: string[] }).paths;
      const files = repo.commits[commit]!;
      return json(
        res,
        200,
        await Promise.all(
          wanted
            .filter((p) => files[p])
            .map(async (p) => {
            const data = files[p]!;
            const size = repo.announcedSizes?.[p] ?? sizeOf(data);
            const digests = await digestsOf(data);
            const entry: Record<string, unknown> = { type: 'file', path: p, size, oid: digests.gitSha1 };
            if (isLfs(p)) entry['lfs'] = { oid: digests.sha256, size, pointerSize: 134 };
            return entry;
          }),
        ),
      );
    }

    if (!api && rest[0] === 'resolve' && rest.length >= 3 && (req.method === 'GET' || req.method === 'HEAD')) {
      const rev = rest[1]!;
      const commit = commitOf(repo, rev);
      if (!commit) return notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const file = rest.slice(2).join('/');
      const data = repo.commits[commit]![file];
      if (!data) return notFound(res, 'EntryNotFound', `${file} does not exist`);
      const digests = await digestsOf(data);
      if (isLfs(file)) {
        const hash = digests.sha256;
        blobs.set(hash, data);
        res.writeHead(302, { Location: `${cdnOrigin}/cdn/${hash}`, 'X-Repo-Commit': commit, 'X-Linked-Etag': `"${hash}"`, 'X-Linked-Size': String(sizeOf(data)), ETag: `"${digests.gitSha1}"` });
        return void res.end();
      }
      return sendBytes(req, res, data, { ETag: `"${digests.gitSha1}"`, 'X-Repo-Commit': commit }, urlPath);
    }
    return notFound(res, 'EntryNotFound', 'not found');
  }

  const serve = (onCdn: boolean) =>
    http.createServer((req, res) => {
      handle(req, res, onCdn).catch((err) => {
        if (!res.headersSent) json(res, 500, { error: String(err) });
        else res.destroy();
      });
    });
  const listen = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const server = serve(false);
  const url = await listen(server);
  const cdnServer = options.cdn === 'separate' ? serve(true) : undefined;
  // Same origin: the relative Location the tests have always seen.
  if (cdnServer) cdnOrigin = await listen(cdnServer);
  const shut = (s: http.Server) =>
    new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });

  return {
    url,
    cdnUrl: cdnOrigin || url,
    requests,
    addRepo: (name, repo) => void repos.set(name, repo),
    alias: (from, to) => void aliases.set(from, to),
    failNext: (pattern, status, count = 1, headers = {}) => void failures.push({ pattern, status, left: count, headers }),
    stallNext: (pattern, afterBytes) => void stalls.push({ pattern, ...(afterBytes !== undefined ? { afterBytes } : {}) }),
    refuseRanges: (pattern, status = 403) => void (rangeRefusal = pattern ? { pattern, status } : undefined),
    rejectToken: (token) => void rejectedTokens.add(token),
    dropAfter: (pattern, bytes) => void drops.push({ pattern, bytes }),
    corrupt: (pattern) => void (corruptPattern = pattern),
    throttle: (chunk, delayMs) => void (throttle = { chunk, delayMs }),
    close: async () => {
      await Promise.all([shut(server), ...(cdnServer ? [shut(cdnServer)] : [])]);
    },
  };
}

/** A forward proxy in its own process, and what it was asked. */
export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY. */
  url: string;
  /** Each request it forwarded: `GET http://host/path` (absolute form) or `CONNECT host:port`. */
  requests: { method: string; target: string }[];
  close(): Promise<void>;
}

// A plain forward proxy: absolute-URI requests (http through a proxy) and CONNECT tunnels (https).
const PROXY_SOURCE = `
const http = require('node:http');
const net = require('node:net');
const log = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const server = http.createServer((req, res) => {
  log({ method: req.method, target: req.url });
  let target;
  try { target = new URL(req.url); } catch { res.writeHead(400); return res.end(); }
  const up = http.request({ host: target.hostname, port: target.port || 80, method: req.method, path: target.pathname + target.search, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(up);
});
server.on('connect', (req, socket, head) => {
  log({ method: 'CONNECT', target: req.url });
  const [host, port] = req.url.split(':');
  const up = net.connect(Number(port), host, () => {
    socket.write('HTTP/1.1 200 Connection Established\\r\\n\\r\\n');
    up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  up.on('error', () => socket.destroy());
  socket.on('error', () => up.destroy());
});
server.listen(0, '127.0.0.1', () => log({ port: server.address().port }));
`;

/** Start a forward proxy as a separate Node process on 127.0.0.1 (a real service, not a mock of one). */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const child = spawn(process.execPath, ['-e', PROXY_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests: ForwardProxy['requests'] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { port?: number; method?: string; target?: string };
      if (entry.port) resolve(entry.port);
      else requests.push({ method: entry.method!, target: entry.target! });
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
