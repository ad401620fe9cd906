import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeSafetensors, readSafetensorsHeader, readTensorF32, tf } from '@repscope/core';

/** What a checkpoint records besides the weights, so training continues exactly from it. */
export interface TrainState {
  step: number;
  /** The windows of step s are a function of (seed, s): the data position is the next step. */
  dataPosition: { nextStep: number };
  adamStep: number;
  tokensSeen: number;
  trainLoss: number | null;
  evalLoss: number | null;
  /** Hash of the resolved config (minus where it runs): resuming with another config is refused. */
  configHash: string;
}

async function hostTensors(tensors: Map<string, tf.Tensor>): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of tensors) out[name] = { shape: t.shape, data: (await t.data()) as Float32Array };
  return out;
}

/**
 * Write a checkpoint folder atomically: everything goes into a hidden temp folder beside it,
 * which is renamed into place last. A folder named step-NNNNNN or final is always complete;
 * a kill mid-write leaves only a temp folder, which the next run removes. `sideFiles` are JSON
 * files written beside config.json the same way (vocab-map.json, token-counts.json), so a
 * checkpoint never exists without the vocabulary its weights are over.
 */
export async function writeCheckpoint(
  dir: string,
  hfConfig: Record<string, unknown>,
  params: Map<string, tf.Tensor>,
  optimizerState: Record<string, { shape: number[]; data: Float32Array }>,
  state: TrainState,
  sideFiles: Record<string, unknown> = {},
): Promise<void> {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  // A tied head is not stored (HF's GPT2LMHeadModel ties lm_head to wte on load); an untied one, from a fine-tuned start, is.
  const weights = await hostTensors(params);
  fs.writeFileSync(path.join(tmp, 'model.safetensors'), encodeSafetensors(weights, 'F32', { format: 'pt' }));
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  for (const [name, content] of Object.entries(sideFiles)) fs.writeFileSync(path.join(tmp, name), JSON.stringify(content) + '\n');
  fs.writeFileSync(path.join(tmp, 'optimizer.safetensors'), encodeSafetensors(optimizerState, 'F32', { format: 'pt' }));
  fs.writeFileSync(path.join(tmp, 'train-state.json'), JSON.stringify(state, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

export interface FoundCheckpoint {
  dir: string;
  state: TrainState;
}

/** Complete checkpoints of a run folder (checkpoints/step-*, final), oldest first; leftover temp folders are removed. */
export function findCheckpoints(runDir: string): FoundCheckpoint[] {
  const found: FoundCheckpoint[] = [];
  const consider = (dir: string) => {
    const file = path.join(dir, 'train-state.json');
    if (!fs.existsSync(file)) return;
    found.push({ dir, state: JSON.parse(fs.readFileSync(file, 'utf8')) as TrainState });
  };
  const ckpts = path.join(runDir, 'checkpoints');
  if (fs.existsSync(ckpts)) {
    for (const entry of fs.readdirSync(ckpts)) {
      if (entry.startsWith('.') && entry.includes('.tmp-')) fs.rmSync(path.join(ckpts, entry), { recursive: true, force: true });
      else if (/^step-\d{6,}$/.test(entry)) consider(path.join(ckpts, entry));
    }
  }
  for (const entry of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
    if (entry.startsWith('.final.tmp-')) fs.rmSync(path.join(runDir, entry), { recursive: true, force: true });
  }
  consider(path.join(runDir, 'final'));
  return found.sort((a, b) => a.state.step - b.state.step);
}

/** The optimizer moments of a checkpoint, by key. */
export function optimizerReader(dir: string): (key: string) => Float32Array {
  const header = readSafetensorsHeader(path.join(dir, 'optimizer.safetensors'));
  return (key) => {
    const entry = header.entries.get(key);
    if (!entry) throw new Error(`${dir}/optimizer.safetensors has no "${key}"`);
    return readTensorF32(header, entry);
  };
}
