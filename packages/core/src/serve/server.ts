import * as net from 'node:net';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { InvalidInputError, readRegularFile, UnsafeFileError } from '@repscope/models';
import { isSweepFolder, MANIFEST_FILE, readSweepManifest } from '../sweep/manifest';
import { sweepRecords } from '../sweep/aggregate';
import { renderSweepReport } from '../sweep/sweep-report';
import { SORT_SCRIPT_CSP_SOURCE } from '../sweep/sort-script';
import { compareRuns, MAX_COMPARED_RUNS } from './compare';
import { scanFolder, sweepFileOutside } from './folder-scan';
import { contentType, redirect, reply, replyJson } from './http-reply';
import { comparePage, errorPage, LIST_PAGE_CSP, listPage, STATIC_PAGE_CSP } from './pages';
import { containedFile, resolveInside, urlSegments } from './safe-path';

/** The largest file /files/ serves (reports with their images fit well under it). */
export const MAX_SERVED_BYTES = 64 * 1024 * 1024;

/**
 * A file from a run folder is someone else's page: it runs in a sandbox (an opaque origin, so
 * its scripts cannot read this server's answers), loads only from here and sends nothing.
 */
const FILE_CSP = `sandbox allow-scripts allow-popups; default-src 'self' data: 'unsafe-inline'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'`;
const SWEEP_CSP = `default-src 'none'; script-src ${SORT_SCRIPT_CSP_SOURCE}; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8780;
/** How often an unfinished sweep's view reloads itself. */
export const SWEEP_REFRESH_SECONDS = 5;

export interface ServeOptions {
  /** The runs folder to serve. */
  dir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  root: string;
  server: http.Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** A loopback address or name — `127.0.0.1.attacker.example` is a DNS name, not 127/8. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || (net.isIPv4(host) && host.startsWith('127.'));
}

/** On loopback, answer only requests addressed to loopback (a page elsewhere cannot rebind a name to us). */
function hostAllowed(req: http.IncomingMessage, loopback: boolean): boolean {
  if (!loopback) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return isLoopback(host);
}

function fail(req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string): void {
  if ((req.url ?? '').startsWith('/api/')) replyJson(req, res, { error: message }, status);
  else reply(req, res, status, 'text/html; charset=utf-8', errorPage(status, message), { 'Content-Security-Policy': STATIC_PAGE_CSP });
}

/** GET /files/<path>: a regular file inside the served folder, read without blocking and capped; a folder goes to its report. */
function serveFile(req: http.IncomingMessage, res: http.ServerResponse, rootReal: string, rest: string): void {
  const seg = urlSegments(rest);
  if (!seg.ok) return fail(req, res, seg.status, seg.reason);
  const target = resolveInside(rootReal, seg.segments);
  if (!target.ok) return fail(req, res, target.status, target.reason);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target.real);
  } catch {
    return fail(req, res, 404, 'not found');
  }
  if (stat.isDirectory()) {
    const base = `/files/${seg.segments.map(encodeURIComponent).join('/')}`;
    return fs.existsSync(path.join(target.real, 'report.html')) ? redirect(req, res, `${base}${base.endsWith('/') ? '' : '/'}report.html`) : fail(req, res, 404, 'a folder without report.html');
  }
  let body: Buffer;
  try {
    body = readRegularFile(target.real, MAX_SERVED_BYTES, 'served file');
  } catch (err) {
    if (err instanceof UnsafeFileError) return fail(req, res, 403, 'not a regular file of a readable size');
    return fail(req, res, 404, 'not found');
  }
  reply(req, res, 200, contentType(target.real), body, { 'Content-Security-Policy': FILE_CSP });
}

/** GET /sweep/<path>/: the sweep's report, rendered now from its job folders; other paths under it are its files. */
async function serveSweep(req: http.IncomingMessage, res: http.ServerResponse, rootReal: string, rest: string): Promise<void> {
  const seg = urlSegments(rest);
  if (!seg.ok) return fail(req, res, seg.status, seg.reason);
  const target = resolveInside(rootReal, seg.segments);
  if (!target.ok) return fail(req, res, target.status, target.reason);
  const encoded = seg.segments.map(encodeURIComponent).join('/');
  if (!isSweepFolder(target.real)) return redirect(req, res, `/files/${encoded}`);
  if (!rest.endsWith('/')) return redirect(req, res, `/sweep/${encoded}/`);
  // The sweep's readers are bounded but follow links: a jobs.json, job folder or file leading out of DIR is refused, not rendered.
  if (containedFile(rootReal, path.join(target.real, MANIFEST_FILE)) !== 'inside') return fail(req, res, 403, `${MANIFEST_FILE}: links outside the served folder`);
  const manifest = readSweepManifest(target.real);
  const leak = sweepFileOutside(rootReal, target.real, manifest);
  if (leak) return fail(req, res, 403, `${leak}: links outside the served folder`);
  const records = sweepRecords(target.real, manifest);
  let html = await renderSweepReport(target.real, manifest, records);
  // While a job runs, the view re-renders itself (no script: the report's CSP stays as it is); a sweep nobody is running does not.
  if (records.some((r) => r.status === 'running')) html = html.replace('<head>', `<head><meta http-equiv="refresh" content="${SWEEP_REFRESH_SECONDS}">`);
  reply(req, res, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': SWEEP_CSP });
}

async function compare(req: http.IncomingMessage, res: http.ServerResponse, rootReal: string, query: URLSearchParams, json: boolean): Promise<void> {
  const wanted = query.getAll('run');
  if (wanted.length < 1 || wanted.length > MAX_COMPARED_RUNS) return fail(req, res, 400, `compare takes 1 to ${MAX_COMPARED_RUNS} run= parameters`);
  const dirs: { rel: string; real: string }[] = [];
  for (const rel of wanted) {
    const seg = urlSegments(rel.split('/').map(encodeURIComponent).join('/'));
    if (!seg.ok) return fail(req, res, seg.status, seg.reason);
    const target = resolveInside(rootReal, seg.segments);
    if (!target.ok) return fail(req, res, target.status, `${rel}: ${target.reason}`);
    dirs.push({ rel: seg.segments.join('/'), real: target.real });
  }
  const comparison = await compareRuns(rootReal, dirs);
  if (json) return replyJson(req, res, comparison);
  reply(req, res, 200, 'text/html; charset=utf-8', comparePage(comparison), { 'Content-Security-Policy': STATIC_PAGE_CSP });
}

function handler(rootReal: string, loopback: boolean) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return reply(req, res, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', { Allow: 'GET, HEAD' });
      }
      if (!hostAllowed(req, loopback)) return reply(req, res, 403, 'text/plain; charset=utf-8', 'this server answers requests addressed to loopback only\n');
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const pathname = q >= 0 ? raw.slice(0, q) : raw;
      const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
      if (pathname === '/' || pathname === '/index.html') return reply(req, res, 200, 'text/html; charset=utf-8', listPage(rootReal), { 'Content-Security-Policy': LIST_PAGE_CSP });
      if (pathname === '/api/runs') return replyJson(req, res, scanFolder(rootReal));
      // Browsers ask for it on every page; "no icon" is an answer, not an error in their console.
      if (pathname === '/favicon.ico') return reply(req, res, 204, 'image/x-icon', '');
      if (pathname === '/api/compare') return await compare(req, res, rootReal, query, true);
      if (pathname === '/compare') return await compare(req, res, rootReal, query, false);
      if (pathname.startsWith('/files/')) return serveFile(req, res, rootReal, pathname.slice('/files/'.length));
      if (pathname.startsWith('/sweep/')) return await serveSweep(req, res, rootReal, pathname.slice('/sweep/'.length));
      return fail(req, res, 404, 'not found');
    } catch (err) {
      if (!res.headersSent) fail(req, res, 500, (err as Error).message);
      else res.destroy();
    }
  };
}

/** Start serving `dir` read-only; resolves once listening (port 0: a free one, in `url`). */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const root = path.resolve(options.dir);
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(root);
  } catch {
    throw new InvalidInputError(`${options.dir}: no such folder`, 'E_NOT_FOUND');
  }
  if (!fs.statSync(rootReal).isDirectory()) throw new InvalidInputError(`${options.dir}: not a folder`, 'E_NOT_FOUND');
  const host = options.host ?? DEFAULT_HOST;
  const server = http.createServer(handler(rootReal, isLoopback(host)));
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL' ? new InvalidInputError(`cannot listen on ${host}:${options.port ?? DEFAULT_PORT}: ${err.code}`, 'E_LISTEN') : err),
    );
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    host: address.address,
    port: address.port,
    root: rootReal,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
