import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../util/errors';
import { readSafetensorsHeader, readTensorF32, SafetensorsError, SafetensorsHeader, TensorEntry } from '../safetensors/read';
import { canBeNonFinite, firstNonFinite } from './finite';
import { isFinalNorm } from './tensor-need';
import { optionalInside, readJsonObject, resolveInside, resolveLexically, trustRoot, UnsafeFileError } from './safe-files';

/** A Hugging Face checkpoint on disk: its config.json (if any) and its tensors, read lazily. */
export interface Checkpoint {
  /** What the user pointed at (for messages). */
  location: string;
  config: Record<string, unknown> | undefined;
  /** Every tensor the checkpoint lists, including those in shards the folder does not have. */
  names(): string[];
  /** A tensor's shape from its shard's header; undefined for a tensor whose shard is not here (its shape is unknown until fetched). */
  shape(name: string): number[] | undefined;
  /** The shard holding `name` when the folder does not have it (a depth-limited download), else undefined. */
  shardNotFetched(name: string): string | undefined;
  /** A tensor as float32; a NaN or infinite value is a CheckpointError naming the tensor. */
  read(name: string): Float32Array;
  /** Another JSON file of the checkpoint folder (e.g. preprocessor_config.json), read as safely as config.json. */
  sideFile(name: string): Record<string, unknown> | undefined;
}

export class CheckpointError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'E_CHECKPOINT');
  }
}

/** config.json and index files are kilobytes; anything this large is not one. */
export const MAX_CHECKPOINT_JSON_BYTES = 16 * 1024 * 1024;

/** Run `fn`, turning file-safety and safetensors errors into CheckpointErrors (one line, exit 2). */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UnsafeFileError || err instanceof SafetensorsError) throw new CheckpointError(err.message);
    throw err;
  }
}

/**
 * The shard files of a `model.safetensors.index.json`, each resolved inside the checkpoint
 * folder: tensor name → real path of its shard, or `absent` → the shard's name where the folder
 * does not have it (a depth-limited download fetches only the shards of the blocks it keeps).
 */
function readWeightMap(index: string, dir: string, root: string): { present: Map<string, string>; absent: Map<string, string> } {
  const map = readJsonObject(index, MAX_CHECKPOINT_JSON_BYTES)['weight_map'];
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new CheckpointError(`${index}: "weight_map" must be an object mapping tensor names to shard files (got ${map === undefined ? 'nothing' : Array.isArray(map) ? 'an array' : JSON.stringify(map).slice(0, 40)})`);
  }
  const shards = new Map<string, string | null>();
  const present = new Map<string, string>();
  const absent = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map as Record<string, unknown>)) {
    const entry = `${index}: weight_map["${tensor.slice(0, 80)}"]`;
    if (typeof file !== 'string' || !file) throw new CheckpointError(`${entry} must be a shard file name (got ${JSON.stringify(file)?.slice(0, 40)})`);
    let real = shards.get(file);
    if (real === undefined) {
      real = shardInside(dir, file, root, entry);
      shards.set(file, real);
    }
    if (real === null) absent.set(tensor, file);
    else present.set(tensor, real);
  }
  if (present.size + absent.size === 0) throw new CheckpointError(`${index}: "weight_map" lists no tensors`);
  return { present, absent };
}

/** A shard's real path inside the folder, or null when the folder has no such file (not fetched); a name pointing outside is refused either way. */
function shardInside(dir: string, file: string, root: string, entry: string): string | null {
  // Lexically first: an absent "../x.safetensors" is refused, not reported as not fetched.
  const lexical = resolveLexically(dir, file, root, entry);
  try {
    fs.lstatSync(lexical);
  } catch {
    return null;
  }
  return resolveInside(dir, file, root, entry);
}

/**
 * Open a checkpoint given as a folder (`config.json` + `model.safetensors`, or shards listed
 * in `model.safetensors.index.json`) or as a single .safetensors file (config.json beside it
 * is used when present). Only headers are read here; every file it names must be a regular
 * file inside the checkpoint folder (see safe-files.ts).
 */
export function openCheckpoint(location: string): Checkpoint {
  return guarded(() => openUnguarded(location));
}

function openUnguarded(location: string): Checkpoint {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new CheckpointError(`${location}: no such file or folder`);
  }
  let dir: string;
  let files: string[];
  let weightMap: Map<string, string> | undefined;
  let notFetched = new Map<string, string>();
  if (stat.isDirectory()) {
    dir = location;
    const root = trustRoot(dir);
    const index = optionalInside(dir, 'model.safetensors.index.json', root);
    const single = optionalInside(dir, 'model.safetensors', root);
    if (index) {
      const shards = readWeightMap(index, dir, root);
      weightMap = shards.present;
      notFetched = shards.absent;
      files = [...new Set(weightMap.values())];
    } else if (single) {
      files = [single];
    } else {
      const listing = fs.readdirSync(dir);
      const found = listing.filter((f) => f.endsWith('.safetensors'));
      if (found.length !== 1) {
        const bin = listing.find((f) => f.endsWith('.bin') || f.endsWith('.pt'));
        throw new CheckpointError(
          `${dir}: no model.safetensors${found.length > 1 ? ` (found ${found.length} .safetensors files and no model.safetensors.index.json)` : ''}` +
            (bin ? `; ${bin} is a PyTorch pickle, which repscope does not read — convert it with safetensors.torch.save_file` : ''),
        );
      }
      files = [resolveInside(dir, found[0]!, root, path.join(dir, found[0]!))];
    }
  } else if (stat.isFile()) {
    dir = path.dirname(location);
    files = [location];
  } else {
    throw new CheckpointError(`${location}: is not a regular file or folder; expected a checkpoint folder or a .safetensors file`);
  }
  const root = trustRoot(dir);
  const headers = files.map((f) => readSafetensorsHeader(f));
  const entries = new Map<string, { header: SafetensorsHeader; entry: TensorEntry }>();
  for (const header of headers) {
    for (const [name, entry] of header.entries) {
      if (weightMap && weightMap.get(name) !== header.file) continue;
      entries.set(name, { header, entry });
    }
  }
  const sideFile = (name: string) => {
    const file = optionalInside(dir, name, root);
    return file ? readJsonObject(file, MAX_CHECKPOINT_JSON_BYTES) : undefined;
  };
  const config = sideFile('config.json');
  const get = (name: string) => {
    const hit = entries.get(name);
    if (hit) return hit;
    const shard = notFetched.get(name);
    if (shard !== undefined) throw notFetchedError(location, name, shard, root !== fs.realpathSync(dir));
    throw new CheckpointError(`${location}: no tensor "${name}"`);
  };
  return {
    location,
    config,
    names: () => [...entries.keys(), ...notFetched.keys()],
    shape: (name) => (notFetched.has(name) ? undefined : get(name).entry.shape),
    shardNotFetched: (name) => notFetched.get(name),
    read: (name) =>
      guarded(() => {
        const { header, entry } = get(name);
        const values = readTensorF32(header, entry);
        const bad = canBeNonFinite(entry.dtype) ? firstNonFinite(values) : -1;
        if (bad >= 0) {
          throw new CheckpointError(
            `${header.file}: tensor "${name}" holds ${values[bad]} at element ${bad}; a checkpoint with NaN or infinite weights is corrupt and cannot be loaded`,
          );
        }
        return values;
      }),
    sideFile: (name) => guarded(() => sideFile(name)),
  };
}

/** A tensor whose shard is not in the folder: a depth-limited hub download skipped it, or a local folder lacks the file. */
function notFetchedError(location: string, name: string, shard: string, hubSnapshot: boolean): CheckpointError {
  return new CheckpointError(
    hubSnapshot
      ? `${location}: tensor "${name}" is in ${shard}, which this snapshot does not have (a download limited to the blocks a run keeps skips the others; \`repscope download\` the model to fetch every shard)`
      : `${location}: tensor "${name}" is in ${shard}, which this folder does not have (model.safetensors.index.json lists it)`,
  );
}

/** Without the head, a final norm whose shard the folder lacks (a depth-limited download) is left out of the model rather than read. */
export function leavesOutFinalNorm(ckpt: Checkpoint, canonical: string, raw: string, head: boolean): boolean {
  return !head && isFinalNorm(canonical) && ckpt.shardNotFetched(raw) !== undefined;
}

/** Before anything is built: every tensor the model will read is in a shard the folder has (the error names the first that is not). */
export function requireFetched(ckpt: Checkpoint, rawNames: Iterable<string>): void {
  // Reading a tensor whose shard is absent throws the error that names it (and nothing is read).
  for (const raw of rawNames) if (ckpt.shardNotFetched(raw) !== undefined) ckpt.read(raw);
}

export interface ExpectedTensor {
  /** Canonical name (e.g. `h.0.attn.c_attn.weight`). */
  name: string;
  shape: number[];
  /** Leave out of the "missing" report (e.g. an untied LM head). */
  optional?: boolean;
}

/**
 * Match a checkpoint's tensor names to the expected canonical names: strip known prefixes,
 * drop known buffers, and report every missing, extra or misshapen tensor in one error.
 */
export function matchTensors(
  ckpt: Checkpoint,
  expected: ExpectedTensor[],
  options: { prefixes: string[]; ignore: RegExp[]; architecture: string },
): Map<string, string> {
  const byCanonical = new Map<string, string>();
  const extras: string[] = [];
  const wanted = new Map(expected.map((e) => [e.name, e]));
  for (const raw of ckpt.names()) {
    let name = raw;
    for (const p of options.prefixes) if (name.startsWith(p)) name = name.slice(p.length);
    if (options.ignore.some((re) => re.test(name))) continue;
    if (!wanted.has(name)) extras.push(raw);
    else byCanonical.set(name, raw);
  }
  // Only the first few problems are shown, so only those are formatted: a config.json naming
  // thousands of layers must not build thousands of lines to print twenty.
  const SHOWN = 6;
  const problems: string[] = [];
  let count = 0;
  const report = (line: () => string) => {
    if (count++ < SHOWN) problems.push(line());
  };
  for (const e of expected) {
    const raw = byCanonical.get(e.name);
    if (!raw) {
      if (!e.optional) report(() => `missing tensor "${e.name}" (expected shape [${e.shape.join(', ')}])`);
      continue;
    }
    const actual = ckpt.shape(raw);
    if (actual && actual.join(',') !== e.shape.join(',')) report(() => `tensor "${raw}" has shape [${actual.join(', ')}], expected [${e.shape.join(', ')}]`);
  }
  for (const x of extras) report(() => `unexpected tensor "${x}" (${describeShape(ckpt.shape(x))}) — not part of ${options.architecture}`);
  if (count) {
    // One line, like every other input error; the first few problems name the fix.
    const more = count > problems.length ? `; … and ${count - problems.length} more` : '';
    throw new CheckpointError(`${ckpt.location}: does not match ${options.architecture}: ${problems.join('; ')}${more}`);
  }
  return byCanonical;
}

const describeShape = (shape: number[] | undefined) => (shape ? `shape [${shape.join(', ')}]` : 'in a shard not fetched');
