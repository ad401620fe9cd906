import * as path from 'node:path';
import { byteLevelPiece, sentencePiece } from './token-pieces';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { readRegularFile, UnsafeFileError } from '../util/regular-file';
import { InvalidInputError } from '../util/errors';
import type { Tokenizer } from './gpt2-tokenizer';

/** A real tokenizer.json is tens of MB at most (Gemma 3's is ~33 MB). */
export const MAX_TOKENIZER_JSON_BYTES = 128 * 1024 * 1024;

function readJson(file: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(readRegularFile(file, MAX_TOKENIZER_JSON_BYTES, what).toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    throw new InvalidInputError(`${file}: expected a JSON object`, 'E_CHECKPOINT');
  } catch (err) {
    if (err instanceof UnsafeFileError || err instanceof SyntaxError) throw new InvalidInputError(`${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message}`, 'E_CHECKPOINT');
    throw err;
  }
}

/**
 * The tokenizer a checkpoint folder ships (`tokenizer.json`, with `tokenizer_config.json` for
 * BOS/EOS and `add_bos_token`), through Hugging Face's own tokenizers.js; undefined when the
 * folder has none. Whether a BOS token is prepended follows the tokenizer's post-processor,
 * as in Python.
 */
export function checkpointTokenizer(tokenizerFile: string, configFile: string | undefined): Tokenizer {
  const json = readJson(tokenizerFile, 'tokenizer.json');
  const config = configFile ? readJson(configFile, 'tokenizer_config.json') : {};
  const dir = path.dirname(tokenizerFile);
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json as never, config as never);
  } catch (err) {
    throw new InvalidInputError(`${tokenizerFile}: not a tokenizer tokenizers.js can read (${(err as Error).message.split('\n')[0]})`, 'E_CHECKPOINT');
  }
  let vocabSize = 0;
  for (const id of hf.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1);
  const specialTokens: Record<string, number> = {};
  for (const [id, token] of hf.get_added_tokens_decoder()) if (token.special) specialTokens[token.content] = id;
  const specialIds = new Set(Object.values(specialTokens));
  const byteLevelVocabulary = JSON.stringify((json as { decoder?: unknown }).decoder ?? null).includes('"ByteLevel"');
  // tokenizer_config.json names its BOS (Llama, Gemma) or only its EOS (Qwen, whose documents are separated by it).
  const tokenText = (v: unknown) => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined);
  const startText = tokenText(config['bos_token']) ?? tokenText(config['eos_token']);
  const documentStart = startText !== undefined ? hf.token_to_id(startText) : undefined;
  return {
    name: `tokenizer.json (${path.basename(dir)})`,
    ...(documentStart !== undefined && documentStart !== null ? { documentStart } : {}),
    vocabSize,
    encode: (text) => hf.encode(text).ids,
    decode: (ids) => hf.decode(ids),
    piece: (id) => {
      const token = hf.id_to_token(id);
      if (token === undefined || specialIds.has(id)) return token;
      return byteLevelVocabulary ? byteLevelPiece(token) : sentencePiece(token);
    },
    specialTokens,
  };
}
