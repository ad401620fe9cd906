import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * Every path the server opens comes from a URL, so it is untrusted: it is split into
 * segments, each decoded once, and refused when a segment is `.` or `..` or decodes to
 * something holding a separator or NUL (`%2e%2e%2f`). What is left is joined under the
 * served folder, resolved with realpath (symlinks followed) and refused unless it still lies
 * inside the served folder's own realpath.
 */

export type Resolved = { ok: true; real: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** The decoded segments of a URL path, or why they are refused. */
export function urlSegments(urlPath: string): { ok: true; segments: string[] } | { ok: false; status: 400 | 403; reason: string } {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: 'malformed URL encoding' };
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg)) return { ok: false, status: 403, reason: 'path traversal refused' };
    segments.push(seg);
  }
  return { ok: true, segments };
}

/** True when `real` is `rootReal` or lies under it (both already realpaths). */
export function isInside(rootReal: string, real: string): boolean {
  return real === rootReal || real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep);
}

/** Resolve decoded segments under the served folder; only what stays inside after realpath is allowed. */
export function resolveInside(rootReal: string, segments: string[]): Resolved {
  let real: string;
  try {
    real = fs.realpathSync(path.join(rootReal, ...segments));
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  if (!isInside(rootReal, real)) return { ok: false, status: 403, reason: 'outside the served folder' };
  return { ok: true, real };
}

/** A file of a run folder, if it exists and resolves inside the served folder; `outside` when a link leads out. */
export function containedFile(rootReal: string, file: string): 'missing' | 'outside' | 'inside' {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return fs.existsSync(file) ? 'outside' : 'missing';
  }
  return isInside(rootReal, real) ? 'inside' : 'outside';
}

/** A path under the served folder as URL path segments (each encoded). */
export function urlPathOf(rel: string): string {
  return rel.split(/[\\/]/).filter(Boolean).map(encodeURIComponent).join('/');
}
