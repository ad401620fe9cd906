import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Write via a temp file in the same directory and rename: a reader (or a resumed sweep)
 * sees either the old file, nothing, or the complete new file — never a torn write.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, jsonReplacer, 2) + '\n');
}

/** JSON has no NaN/Infinity; keep them visible as strings instead of silently nulling. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}
