import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import fg from 'fast-glob';
import { describeFileKind, type Tokenizer } from '@repscope/core';
import { cachedTokens } from './token-cache';

export { tokenCacheDir } from './token-cache';

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

/**
 * Files a run may read, in a stable order (a glob's order alone depends on the filesystem).
 * Each real file once: a symlink (or a symlink loop under the glob) that reaches a file already
 * matched adds nothing, so training text is never counted twice — and never lands on both sides
 * of the held-out split.
 */
export function matchFiles(patterns: string[]): string[] {
  const byIdentity = new Map<string, string>();
  patterns.forEach((pattern, i) => {
    const hits = fg.sync(pattern.replace(/\\/g, '/'), { onlyFiles: true, absolute: true, dot: false, followSymbolicLinks: true });
    if (!hits.length) {
      // A path that exists but is no regular file (a FIFO, /dev/zero): say what it is.
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(pattern);
      } catch {
        stat = undefined;
      }
      throw new DataError(['data', 'files', i], stat && !stat.isFile() ? `"${pattern}" is ${describeFileKind(stat)}, not a text file` : `no file matches "${pattern}"`);
    }
    for (const h of hits.sort()) {
      const stat = fs.statSync(h);
      if (!stat.isFile()) continue;
      const identity = `${stat.dev}:${stat.ino}`;
      if (!byIdentity.has(identity)) byIdentity.set(identity, h);
    }
  });
  return [...new Set(byIdentity.values())].sort();
}

/** Read and tokenise this much text at a time, so memory follows the token count, not the file size. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Where a chunk may be cut so that tokenising the pieces gives the tokens of the whole: just
 * before a newline that follows a non-space. No pre-token runs from a word, number or
 * punctuation into a newline, and the whitespace token that starts there depends only on what
 * comes after it. (After a newline would be wrong: "\n\n" at the end of a piece is one token,
 * in "\n\nThe" two.)
 */
function safeCut(text: string): number {
  for (let i = text.length - 1; i > 0; i--) if (text[i] === '\n' && !/\s/.test(text[i - 1]!)) return i;
  return -1;
}

/** Token ids into a growing array that stays compact (2 bytes a token). */
class TokenBuffer {
  private data = new Uint16Array(1 << 16);
  length = 0;
  push(ids: number[]): void {
    if (this.length + ids.length > this.data.length) {
      const grown = new Uint16Array(Math.max(this.data.length * 2, this.length + ids.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(ids, this.length);
    this.length += ids.length;
  }
  take(): Uint16Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * A file's tokens (the model's tokenizer), cached by the SHA-256 of its bytes: an unchanged
 * file is never tokenised twice, a changed one never served stale tokens. The file must be
 * UTF-8 and non-empty. It is read and tokenised in chunks cut where no token spans the cut,
 * so a 200 MB file needs about its token array in memory. Ids < 65536: the cache stores uint16.
 */
export function fileTokens(file: string, configPath: (string | number)[], tokenizer: Tokenizer): Uint16Array {
  if (tokenizer.vocabSize > 65536) throw new DataError(configPath, `the tokenizer's ${tokenizer.vocabSize} tokens do not fit the uint16 token store; training data supports vocabularies up to 65,536`);
  const fd = fs.openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (let n; (n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null)) > 0; ) hash.update(chunk.subarray(0, n));
    const size = fs.fstatSync(fd).size;
    if (size === 0) throw new DataError(configPath, `${file} is empty`);
    return cachedTokens(hash.digest('hex'), tokenizer, () => tokenizeFile(file, configPath, tokenizer));
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's tokens, read and tokenised `chunkBytes` at a time (no cache). */
export function tokenizeFile(file: string, configPath: (string | number)[], tokenizer: Tokenizer, chunkBytes = CHUNK_BYTES): Uint16Array {
  const fd = fs.openSync(file, 'r');
  try {
    return tokenizeStream(fd, file, configPath, tokenizer, chunkBytes);
  } finally {
    fs.closeSync(fd);
  }
}

function tokenizeStream(fd: number, file: string, configPath: (string | number)[], tokenizer: Tokenizer, chunkBytes: number): Uint16Array {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const chunk = Buffer.alloc(chunkBytes);
  const out = new TokenBuffer();
  let pending = '';
  let sawText = false;
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(bytes, { stream });
    } catch {
      throw new DataError(configPath, `${file} is not valid UTF-8 text; convert it (e.g. iconv -t UTF-8) or leave it out of data.files`);
    }
  };
  for (let position = 0, n; (n = fs.readSync(fd, chunk, 0, chunkBytes, position)) > 0; position += n) {
    pending += decode(chunk.subarray(0, n), true);
    sawText ||= pending.trim().length > 0;
    const cut = safeCut(pending);
    if (cut > 0) {
      out.push(tokenizer.encode(pending.slice(0, cut)));
      pending = pending.slice(cut);
    }
  }
  pending += decode(new Uint8Array(0), false);
  sawText ||= pending.trim().length > 0;
  if (!sawText) throw new DataError(configPath, `${file} holds only whitespace`);
  if (pending) out.push(tokenizer.encode(pending));
  return out.take();
}
