import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';

/**
 * (WᵀW)⁺ of a token embedding on disk, so a new process skips WᵀW and its inversion. Only the
 * d×d matrix is stored (4 MB at d = 1024), never W⁺ itself ([d, V]: 671 MB for Gemma 3).
 * Keyed by a hash of W's bytes, not its name: a fine-tuned or re-seeded W gets its own entry.
 * The file is untrusted on read (another user, a crash, a disk error): wrong size, magic, width
 * or checksum means a miss, never a wrong matrix.
 *
 * Layout: "RSPINV01" | d (uint32 LE) | reserved (uint32) | sha256(payload) (32 bytes) | payload (d·d float32 LE).
 */
const MAGIC = 'RSPINV01';
const HEADER = 8 + 4 + 4 + 32;
/** GPT-2 xl is 1600 wide; refuse anything that would make an input-controlled allocation huge. */
const MAX_WIDTH = 8192;

/** `$REPSCOPE_CACHE_DIR`, else the user's cache folder (XDG on Linux). Undefined turns the disk cache off. */
export function repscopeCacheDir(): string | undefined {
  const explicit = process.env['REPSCOPE_CACHE_DIR'];
  if (explicit !== undefined) return explicit === '' ? undefined : explicit;
  const base = process.env['XDG_CACHE_HOME'] || (process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches') : path.join(os.homedir(), '.cache'));
  return path.join(base, 'repscope');
}

/** The key's hash, to be fed W's bytes in row order (in blocks: a second W need not exist on the host). */
export function createEmbeddingHash(d: number): Hash {
  return createHash('sha256').update(`gram-pinv:${d}:`);
}

export function embeddingHash(w: Float32Array, d: number): string {
  return createEmbeddingHash(d).update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength)).digest('hex');
}

function fileFor(dir: string, key: string): string {
  return path.join(dir, 'gram-pinv', `${key}.bin`);
}

export function readGramPinv(dir: string, key: string, d: number): Float32Array | undefined {
  if (!/^[0-9a-f]{64}$/.test(key) || d < 1 || d > MAX_WIDTH) return undefined;
  let bytes: Buffer;
  try {
    const file = fileFor(dir, key);
    if (fs.statSync(file).size !== HEADER + d * d * 4) return undefined;
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length !== HEADER + d * d * 4 || bytes.toString('latin1', 0, 8) !== MAGIC || bytes.readUInt32LE(8) !== d) return undefined;
  const payload = bytes.subarray(HEADER);
  if (!createHash('sha256').update(payload).digest().equals(bytes.subarray(16, HEADER))) return undefined;
  const values = new Float32Array(d * d);
  for (let i = 0; i < d * d; i++) values[i] = payload.readFloatLE(i * 4);
  return values.every(Number.isFinite) ? values : undefined;
}

/** Best effort: a read-only or full disk only costs the next process the inversion. */
export function writeGramPinv(dir: string, key: string, d: number, values: Float32Array): void {
  if (!/^[0-9a-f]{64}$/.test(key) || values.length !== d * d) return;
  const payload = Buffer.alloc(d * d * 4);
  for (let i = 0; i < d * d; i++) payload.writeFloatLE(values[i]!, i * 4);
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(d, 8);
  createHash('sha256').update(payload).digest().copy(header, 16);
  try {
    writeFileAtomic(fileFor(dir, key), Buffer.concat([header, payload]));
  } catch {
    // not cached; the result is still correct
  }
}
