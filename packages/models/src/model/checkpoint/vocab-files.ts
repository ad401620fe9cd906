import * as fs from 'node:fs';
import * as path from 'node:path';
import { gpt2Tokenizer, type Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { withTrainingCounts } from '../../tokenizer/counted-tokenizer';
import { mappedTokenizer, type VocabMap } from '../../tokenizer/mapped-tokenizer';
import { readRegularFile } from '../../util/regular-file';
import { CheckpointError } from './checkpoint';
import { optionalInside, trustRoot, UnsafeFileError } from './safe-files';

/**
 * What plugin-train writes beside a checkpoint's config.json about its training text:
 * `vocab-map.json` for a reduced vocabulary (`vocab: { top: K }`), `token-counts.json` for
 * GPT-2's full one. Both are untrusted input (checkpoints are shared): size-capped, every key
 * and id checked, errors naming the file, the key and what was expected.
 */
export const VOCAB_MAP_FILE = 'vocab-map.json';
export const VOCAB_MAP_FORMAT = 'repscope-vocab-map/1';
export const TOKEN_COUNTS_FILE = 'token-counts.json';
export const TOKEN_COUNTS_FORMAT = 'repscope-token-counts/1';

/** 50,257 ids and counts are about 1 MB of JSON; anything far larger is not one of these files. */
export const MAX_VOCAB_FILE_BYTES = 8 * 1024 * 1024;

/** The base tokenizer a vocab-map.json may name (the only one plugin-train reduces). */
const MAP_BASE = gpt2Tokenizer;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function fail(file: string, key: string, expected: string, got: unknown): never {
  throw new CheckpointError(`${file}: ${key}: expected ${expected}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The file's JSON object with exactly the keys `allowed` (own keys; no prototype keys). */
function readObject(file: string, allowed: readonly string[]): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(file, MAX_VOCAB_FILE_BYTES, 'vocabulary file').toString('utf8'));
  } catch (err) {
    if (err instanceof UnsafeFileError) throw new CheckpointError(err.message);
    if (err instanceof SyntaxError) throw new CheckpointError(`${file}: not valid JSON (${err.message})`);
    throw err;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(file, '(top level)', 'a JSON object', json);
  for (const key of Object.keys(json)) {
    if (FORBIDDEN.has(key)) throw new CheckpointError(`${file}: key "${key}" is not allowed (__proto__, constructor and prototype could change every object in the program)`);
    if (!allowed.includes(key)) throw new CheckpointError(`${file}: unknown key "${key.slice(0, 40)}"; expected only ${allowed.join(', ')}`);
  }
  return json as Record<string, unknown>;
}

function constant(file: string, json: Record<string, unknown>, key: string, value: string): void {
  if (json[key] !== value) fail(file, key, JSON.stringify(value), json[key]);
}

/** An array of integers in [min, max), each checked (the first bad one is named by index). */
function integers(file: string, json: Record<string, unknown>, key: string, min: number, max: number, length?: number): number[] {
  const v = json[key];
  if (!Array.isArray(v)) fail(file, key, 'an array of integers', v);
  if (length !== undefined && v.length !== length) fail(file, key, `${length} entries`, v);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x >= max) fail(file, `${key}[${i}]`, `an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max})`, x);
  });
  return v as number[];
}

function uniqueIds(file: string, key: string, ids: number[]): void {
  const seen = new Set<number>();
  ids.forEach((id, i) => {
    if (seen.has(id)) fail(file, `${key}[${i}]`, 'ids that occur once', id);
    seen.add(id);
  });
}

/** A vocab-map.json, checked against the checkpoint's vocab_size: `ids` (K base ids) + the unknown token = vocab_size. */
export function readVocabMap(file: string, vocabSize: number): VocabMap {
  const json = readObject(file, ['format', 'tokenizer', 'ids', 'unknown', 'counts']);
  constant(file, json, 'format', VOCAB_MAP_FORMAT);
  constant(file, json, 'tokenizer', MAP_BASE.name);
  if (vocabSize < 2 || vocabSize - 1 > MAP_BASE.vocabSize) throw new CheckpointError(`${file}: config.json's vocab_size ${vocabSize} cannot be a reduced ${MAP_BASE.name} vocabulary (2 to ${MAP_BASE.vocabSize + 1} tokens)`);
  const ids = integers(file, json, 'ids', 0, MAP_BASE.vocabSize);
  if (ids.length !== vocabSize - 1) fail(file, 'ids', `vocab_size − 1 = ${vocabSize - 1} ids (config.json's vocab_size less the unknown token)`, ids);
  uniqueIds(file, 'ids', ids);
  if (json['unknown'] !== ids.length) fail(file, 'unknown', `${ids.length} (the unknown token is the last id)`, json['unknown']);
  const counts = integers(file, json, 'counts', 0, Number.MAX_SAFE_INTEGER, vocabSize);
  return { ids, counts };
}

/** A token-counts.json: the ids the training text held (below vocab_size, once each) and how often. */
export function readTokenCounts(file: string, vocabSize: number, tokenizer: Tokenizer): Map<number, number> {
  const json = readObject(file, ['format', 'tokenizer', 'ids', 'counts']);
  constant(file, json, 'format', TOKEN_COUNTS_FORMAT);
  constant(file, json, 'tokenizer', tokenizer.name);
  const ids = integers(file, json, 'ids', 0, vocabSize);
  uniqueIds(file, 'ids', ids);
  const counts = integers(file, json, 'counts', 1, Number.MAX_SAFE_INTEGER, ids.length);
  return new Map(ids.map((id, i) => [id, counts[i]!]));
}

/** Parsed tokenizers by file and modification time: a sweep resolves the same checkpoint once per job. */
const parsed = new Map<string, Tokenizer>();

function cachedFor(file: string, extra: string, make: () => Tokenizer): Tokenizer {
  const key = `${fs.realpathSync(file)}@${fs.statSync(file).mtimeMs}|${extra}`;
  let t = parsed.get(key);
  if (!t) {
    t = make();
    parsed.set(key, t);
  }
  return t;
}

/**
 * The tokenizer of a checkpoint trained here: over a reduced vocabulary (vocab-map.json), a
 * mapped GPT-2 tokenizer; over the full one with token-counts.json, `base` with its counts;
 * otherwise `base` as it is. `weights` is the folder or a .safetensors file in it.
 */
export function trainedVocabularyTokenizer(weights: string, vocabSize: number, base: Tokenizer | undefined): Tokenizer | undefined {
  const dir = fs.statSync(weights).isDirectory() ? weights : path.dirname(weights);
  let mapFile: string | undefined;
  let countsFile: string | undefined;
  try {
    const root = trustRoot(dir);
    mapFile = optionalInside(dir, VOCAB_MAP_FILE, root);
    countsFile = mapFile ? undefined : optionalInside(dir, TOKEN_COUNTS_FILE, root);
  } catch (err) {
    if (err instanceof UnsafeFileError) throw new CheckpointError(err.message);
    throw err;
  }
  if (mapFile) return cachedFor(mapFile, String(vocabSize), () => mappedTokenizer(MAP_BASE, readVocabMap(mapFile, vocabSize), mapFile));
  if (countsFile && base) return cachedFor(countsFile, `${vocabSize}|${base.name}`, () => withTrainingCounts(base, readTokenCounts(countsFile, vocabSize, base), countsFile));
  return base;
}
