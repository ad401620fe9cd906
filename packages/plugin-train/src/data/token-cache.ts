import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, type Tokenizer } from '@repscope/core';

/** Where tokenised text is cached: $REPSCOPE_CACHE/tokens, else ~/.cache/repscope/tokens. */
export function tokenCacheDir(): string {
  return path.join(process.env['REPSCOPE_CACHE'] || path.join(os.homedir(), '.cache', 'repscope'), 'tokens');
}

/**
 * The tokens of a text known by the SHA-256 `digest` of what it was made from, tokenised by
 * `tokenize` once per tokenizer: later runs read them back (2 bytes a token). A read-only or
 * full cache only costs tokenising again.
 */
export function cachedTokens(digest: string, tokenizer: Tokenizer, tokenize: () => Uint16Array): Uint16Array {
  const file = path.join(tokenCacheDir(), `${tokenizer.name.replace(/[^A-Za-z0-9]+/g, '-')}-${digest}.u16`);
  if (fs.existsSync(file)) {
    const raw = fs.readFileSync(file);
    if (raw.length % 2 === 0) return new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  }
  const tokens = tokenize();
  try {
    writeFileAtomic(file, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
  } catch {
    /* a read-only cache only costs re-tokenising next time */
  }
  return tokens;
}
