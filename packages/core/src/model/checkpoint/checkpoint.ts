import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../util/errors';
import { readSafetensorsHeader, readTensorF32, SafetensorsError, SafetensorsHeader, TensorEntry } from '../safetensors/read';

/** A Hugging Face checkpoint on disk: its config.json (if any) and its tensors, read lazily. */
export interface Checkpoint {
  /** What the user pointed at (for messages). */
  location: string;
  config: Record<string, unknown> | undefined;
  names(): string[];
  shape(name: string): number[];
  read(name: string): Float32Array;
}

export class CheckpointError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'E_CHECKPOINT');
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CheckpointError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

function headerOf(file: string): SafetensorsHeader {
  try {
    return readSafetensorsHeader(file);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new CheckpointError(err.message);
    throw err;
  }
}

/**
 * Open a checkpoint given as a folder (`config.json` + `model.safetensors`, or shards listed
 * in `model.safetensors.index.json`) or as a single .safetensors file (config.json beside it
 * is used when present).
 */
export function openCheckpoint(location: string): Checkpoint {
  if (!fs.existsSync(location)) throw new CheckpointError(`${location}: no such file or folder`);
  let dir: string;
  let files: string[];
  let weightMap: Map<string, string> | undefined;
  if (fs.statSync(location).isDirectory()) {
    dir = location;
    const index = path.join(dir, 'model.safetensors.index.json');
    const single = path.join(dir, 'model.safetensors');
    if (fs.existsSync(index)) {
      const map = (readJson(index)['weight_map'] ?? {}) as Record<string, string>;
      weightMap = new Map(Object.entries(map).map(([k, f]) => [k, path.join(dir, f)]));
      files = [...new Set(weightMap.values())];
      for (const f of files) if (!fs.existsSync(f)) throw new CheckpointError(`${index}: lists shard ${path.basename(f)}, which is missing`);
    } else if (fs.existsSync(single)) {
      files = [single];
    } else {
      const found = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
      if (found.length !== 1) {
        const bin = fs.readdirSync(dir).find((f) => f.endsWith('.bin') || f.endsWith('.pt'));
        throw new CheckpointError(
          `${dir}: no model.safetensors${found.length > 1 ? ` (found ${found.length} .safetensors files and no model.safetensors.index.json)` : ''}` +
            (bin ? `; ${bin} is a PyTorch pickle, which repscope does not read — convert it with safetensors.torch.save_file` : ''),
        );
      }
      files = [path.join(dir, found[0]!)];
    }
  } else {
    dir = path.dirname(location);
    files = [location];
  }
  const headers = files.map(headerOf);
  const entries = new Map<string, { header: SafetensorsHeader; entry: TensorEntry }>();
  for (const header of headers) {
    for (const [name, entry] of header.entries) {
      if (weightMap && weightMap.get(name) !== header.file) continue;
      entries.set(name, { header, entry });
    }
  }
  const configFile = path.join(dir, 'config.json');
  const config = fs.existsSync(configFile) ? readJson(configFile) : undefined;
  const get = (name: string) => {
    const hit = entries.get(name);
    if (!hit) throw new CheckpointError(`${location}: no tensor "${name}"`);
    return hit;
  };
  return {
    location,
    config,
    names: () => [...entries.keys()],
    shape: (name) => get(name).entry.shape,
    read: (name) => {
      const { header, entry } = get(name);
      return readTensorF32(header, entry);
    },
  };
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
  const problems: string[] = [];
  for (const e of expected) {
    const raw = byCanonical.get(e.name);
    if (!raw) {
      if (!e.optional) problems.push(`missing tensor "${e.name}" (expected shape [${e.shape.join(', ')}])`);
      continue;
    }
    const actual = ckpt.shape(raw);
    if (actual.join(',') !== e.shape.join(',')) problems.push(`tensor "${raw}" has shape [${actual.join(', ')}], expected [${e.shape.join(', ')}]`);
  }
  for (const x of extras) problems.push(`unexpected tensor "${x}" (shape [${ckpt.shape(x).join(', ')}]) — not part of ${options.architecture}`);
  if (problems.length) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new CheckpointError(`${ckpt.location}: does not match ${options.architecture}:\n  ${shown.join('\n  ')}${more}`);
  }
  return byCanonical;
}
