import * as fs from 'node:fs';
import { HubError } from './hub-error';
import type { TensorFilter } from '../model/checkpoint/tensor-need';
import { TOKEN_COUNTS_FILE, VOCAB_MAP_FILE } from '../model/checkpoint/vocab-files';

export const CONFIG_FILE = 'config.json';
export const SINGLE_WEIGHTS = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';
export const PREPROCESSOR = 'preprocessor_config.json';
/** The tokenizer a model ships, fetched when the repo has it (text input goes through it). */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];
/** Files fetched when the repo has them; without them a model runs on defaults (a ViT's mean/std, a built-in tokenizer). */
export const OPTIONAL_FILES = [PREPROCESSOR, ...TOKENIZER_FILES];
/**
 * What plugin-train writes beside config.json about its training text (a reduced vocabulary's
 * map, or the tokens the text held), fetched when the repo has them. Only repscope writes
 * them, so a cached snapshot without them is not "unverified" the way a missing tokenizer is:
 * a reduced-vocabulary model without its map has no tokenizer and refuses text, it does not
 * run on a wrong one.
 */
export const TRAINING_VOCABULARY_FILES = [VOCAB_MAP_FILE, TOKEN_COUNTS_FILE];

/** Index files are small; a larger one is not an index (and would be read whole). */
const MAX_INDEX_BYTES = 64 << 20;
const MAX_SHARDS = 10_000;
const SAFE_SHARD_NAME = /^(?!.*\.\.)[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.safetensors$/;

/**
 * The files a model needs, chosen from the repo's listing: config.json, the weights (one
 * safetensors file, or the index whose shards come next), and preprocessor_config.json when
 * the repo has one (image models). Pickled PyTorch weights are never fetched.
 */
export function filesToFetch(siblings: string[], ref: string): string[] {
  const has = new Set(siblings);
  if (!has.has(CONFIG_FILE)) throw new HubError(`${ref}: the repo has no config.json, so it is not a model repscope can build`, 'E_HUB_NOT_A_MODEL');
  const files = [CONFIG_FILE];
  if (has.has(SINGLE_WEIGHTS)) files.push(SINGLE_WEIGHTS);
  else if (has.has(SHARD_INDEX)) files.push(SHARD_INDEX);
  else {
    const pickle = siblings.find((f) => /\.(bin|pt|pth|ckpt)$/.test(f));
    throw new HubError(
      pickle
        ? `${ref}: the repo has only ${pickle}, a PyTorch pickle, which repscope never loads (unpickling runs arbitrary code); use a revision with model.safetensors (the hub's "Adding safetensors variant" pull requests are refs/pr/<n>: hf:<repo>@refs/pr/<n>) or convert it with safetensors.torch.save_file`
        : `${ref}: the repo has no model.safetensors or model.safetensors.index.json`,
      'E_HUB_NO_SAFETENSORS',
    );
  }
  if (has.has(PREPROCESSOR)) files.push(PREPROCESSOR);
  for (const f of [...TOKENIZER_FILES, ...TRAINING_VOCABULARY_FILES]) if (has.has(f)) files.push(f);
  return files;
}

/** The tensor → shard map of a downloaded index, refusing shard names that would leave the snapshot. */
export function readShardIndex(indexFile: string, ref: string): Map<string, string> {
  const problem = (what: string) => new HubError(`${ref}: ${SHARD_INDEX} ${what}`, 'E_HUB_INDEX');
  if (fs.statSync(indexFile).size > MAX_INDEX_BYTES) throw problem(`is larger than ${MAX_INDEX_BYTES >> 20} MB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  } catch {
    throw problem('is not valid JSON');
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw problem('has no weight_map object');
  const entries = Object.entries(map as Record<string, unknown>);
  const shards = new Set(entries.map(([, s]) => s));
  if (shards.size > MAX_SHARDS) throw problem(`lists ${shards.size} shards (at most ${MAX_SHARDS})`);
  for (const s of shards) if (typeof s !== 'string' || !SAFE_SHARD_NAME.test(s)) throw problem(`lists shard ${JSON.stringify(s)}, not a plain .safetensors file name`);
  return new Map(entries as [string, string][]);
}

/** The shard files a downloaded index lists. */
export function shardsOf(indexFile: string, ref: string): string[] {
  return [...new Set(readShardIndex(indexFile, ref).values())].sort();
}

/**
 * The shards holding at least one tensor `wanted` keeps (all of them without a filter), and
 * the rest: a depth-limited run fetches only the first.
 */
export function shardsNeeded(indexFile: string, ref: string, wanted: TensorFilter | undefined): { needed: string[]; skipped: string[] } {
  const index = readShardIndex(indexFile, ref);
  const needed = new Set<string>();
  for (const [tensor, shard] of index) if (!wanted || wanted(tensor)) needed.add(shard);
  const all = [...new Set(index.values())].sort();
  return { needed: all.filter((s) => needed.has(s)), skipped: all.filter((s) => !needed.has(s)) };
}
