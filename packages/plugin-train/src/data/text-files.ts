import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fg from 'fast-glob';
import { writeFileAtomic, type Tokenizer } from '@repscope/core';

/** A data problem found before training: one line, at a config path. */
export class DataError extends Error {
  constructor(
    readonly configPath: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

/** Files a run may read, in a stable order (a glob's order alone depends on the filesystem). */
export function matchFiles(patterns: string[]): string[] {
  const found = new Set<string>();
  patterns.forEach((pattern, i) => {
    const hits = fg.sync(pattern.replace(/\\/g, '/'), { onlyFiles: true, absolute: true, dot: false, followSymbolicLinks: true });
    if (!hits.length) throw new DataError(['data', 'files', i], `no file matches "${pattern}"`);
    for (const h of hits) found.add(h);
  });
  return [...found].sort();
}

/** Where tokenised files are cached: $REPSCOPE_CACHE, else ~/.cache/repscope. */
export function tokenCacheDir(): string {
  return path.join(process.env['REPSCOPE_CACHE'] || path.join(os.homedir(), '.cache', 'repscope'), 'tokens');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A file's tokens (the model's tokenizer), cached by the SHA-256 of its bytes: an unchanged file is never
 * tokenised twice, a changed one never served stale tokens. The file must be UTF-8 and
 * non-empty. Ids < 65536, so the cache stores uint16.
 */
export function fileTokens(file: string, configPath: (string | number)[], tokenizer: Tokenizer): Uint16Array {
  const bytes = fs.readFileSync(file);
  if (bytes.length === 0) throw new DataError(configPath, `${file} is empty`);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const cached = path.join(tokenCacheDir(), `${tokenizer.name.replace(/[^A-Za-z0-9]+/g, '-')}-${hash}.u16`);
  if (fs.existsSync(cached)) {
    const raw = fs.readFileSync(cached);
    if (raw.length % 2 === 0) return new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new DataError(configPath, `${file} is not valid UTF-8 text; convert it (e.g. iconv -t UTF-8) or leave it out of data.files`);
  }
  if (!text.trim()) throw new DataError(configPath, `${file} holds only whitespace`);
  const tokens = Uint16Array.from(tokenizer.encode(text));
  try {
    writeFileAtomic(cached, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
  } catch {
    /* a read-only cache only costs re-tokenising next time */
  }
  return tokens;
}
