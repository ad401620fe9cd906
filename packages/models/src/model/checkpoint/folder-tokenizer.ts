import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointTokenizer } from '../../tokenizer/hf-tokenizer';
import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { optionalInside, trustRoot } from './safe-files';

/** Parsed tokenizers by file and modification time: a sweep resolves the same checkpoint once per job. */
const tokenizers = new Map<string, Tokenizer>();

/**
 * The tokenizer.json beside a checkpoint's weights (inside its folder, with tokenizer_config.json
 * when present), or undefined when the checkpoint ships none. `weights` is the folder or a
 * .safetensors file in it.
 */
export function folderTokenizer(weights: string): Tokenizer | undefined {
  const dir = fs.statSync(weights).isDirectory() ? weights : path.dirname(weights);
  const root = trustRoot(dir);
  const file = optionalInside(dir, 'tokenizer.json', root);
  if (!file) return undefined;
  const config = optionalInside(dir, 'tokenizer_config.json', root);
  const key = [file, config].map((f) => (f ? `${fs.realpathSync(f)}@${fs.statSync(f).mtimeMs}` : '-')).join('|');
  let tokenizer = tokenizers.get(key);
  if (!tokenizer) {
    tokenizer = checkpointTokenizer(file, config);
    tokenizers.set(key, tokenizer);
  }
  return tokenizer;
}
