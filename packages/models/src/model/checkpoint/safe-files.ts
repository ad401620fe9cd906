import * as fs from 'node:fs';
import * as path from 'node:path';
import { openRegularFile, readRegularFile, UnsafeFileError } from '../../util/regular-file';

export { openRegularFile, UnsafeFileError };

/**
 * File access for untrusted checkpoints: only regular files are opened (a FIFO or a device
 * would block or never end), JSON side files are size-capped before they are read, and every
 * file a checkpoint names must resolve — after symlinks — inside the checkpoint's folder.
 */

/** A JSON object from a regular file of at most `maxBytes`. */
export function readJsonObject(file: string, maxBytes: number): Record<string, unknown> {
  const text = readRegularFile(file, maxBytes, "checkpoint's JSON file").toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UnsafeFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UnsafeFileError(`${file}: expected a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  return json as Record<string, unknown>;
}

/**
 * The folder a checkpoint's files may live in. Usually the checkpoint folder itself; for a
 * Hugging Face hub cache snapshot (`models--org--name/snapshots/<rev>/`, whose files are
 * symlinks into `../../blobs/`) it is the repository's cache folder.
 */
export function trustRoot(dir: string): string {
  const real = fs.realpathSync(dir);
  const parent = path.dirname(real);
  if (path.basename(parent) === 'snapshots' && path.basename(path.dirname(parent)).startsWith('models--')) return path.dirname(parent);
  return real;
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Resolve `name` (as written in a checkpoint file, e.g. a weight_map shard) against `dir` and
 * refuse it unless it stays inside `root`, lexically and after symlinks. Nothing outside the
 * folder is opened, or even stat'ed, on a name's say-so.
 */
export function resolveInside(dir: string, name: string, root: string, entry: string): string {
  const lexical = resolveLexically(dir, name, root, entry);
  let real: string;
  try {
    real = fs.realpathSync(lexical);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UnsafeFileError(`${entry}: "${name}" is missing`);
    throw new UnsafeFileError(`${entry}: "${name}": ${(err as Error).message}`);
  }
  if (!isInside(root, real)) throw new UnsafeFileError(`${entry}: "${name}" is a symlink to ${real}, outside the checkpoint folder ${dir}`);
  return real;
}

/** `name` joined to `dir`, refused unless it stays inside `root` by name alone (before anything is stat'ed). */
export function resolveLexically(dir: string, name: string, root: string, entry: string): string {
  if (name.includes('\0')) throw new UnsafeFileError(`${entry}: file name contains a NUL byte`);
  if (path.isAbsolute(name)) throw new UnsafeFileError(`${entry}: "${name}" is an absolute path; a checkpoint may only name files inside its folder`);
  const lexical = path.resolve(fs.realpathSync(dir), name);
  if (!isInside(root, lexical)) throw new UnsafeFileError(`${entry}: "${name}" points outside the checkpoint folder ${dir}`);
  return lexical;
}

/** Like resolveInside for a file the checkpoint layout implies (config.json, model.safetensors): undefined when absent. */
export function optionalInside(dir: string, name: string, root: string): string | undefined {
  const file = path.join(dir, name);
  try {
    fs.lstatSync(file);
  } catch {
    return undefined;
  }
  return resolveInside(dir, name, root, file);
}
