import * as tf from '@tensorflow/tfjs';
import { BackendChoice, selectBackend } from './backend/select-backend';
import { ensureHubModel, EnsureOptions } from './hub/hub-model';
import { isHubRef, parseHubRef } from './hub/hub-ref';
import { BUILTIN_MODEL_KINDS } from './model/builtin-kinds';
import { applyModelOptions, findModelKind } from './model/model-options';
import { needOfBlock } from './model/checkpoint/tensor-need';
import type { Model, ModelKind, ModelSpec } from './model/types';
import { writeSafetensors } from './model/safetensors/write';
import { Rng } from './util/rng';

export interface LoadModelOptions {
  /** Untrained weights derive from it (unless the block sets its own `seed`); default 0. */
  seed?: number;
  /** TF.js backend to run on; default `auto` (the best that starts here). Chosen once per process. */
  backend?: BackendChoice;
  /** Kinds to choose from besides the built-ins (e.g. one a plugin defines). */
  kinds?: readonly ModelKind[];
  /** Hub settings and download progress for `weights: hf:…`. */
  hub?: EnsureOptions;
  log?: (line: string) => void;
}

/**
 * Build a model from a model block — the same keys a config's `model:` takes — without a
 * config file, run folder or container: check it against its kind (defaults filled in,
 * checkpoint files and shapes checked before any tensor is read), fetch `hf:` weights into
 * the Hugging Face cache, select a backend, build. The caller disposes the model.
 */
export async function loadModel(spec: ModelSpec, options: LoadModelOptions = {}): Promise<Model> {
  const kind = findModelKind([...BUILTIN_MODEL_KINDS, ...(options.kinds ?? [])], spec.kind);
  const checked = applyModelOptions(kind, spec);
  const weights = checked['weights'];
  if (isHubRef(weights)) checked['weights'] = (await ensureHubModel(parseHubRef(weights), { need: needOfBlock(checked), ...options.hub })).dir;
  kind.resolve?.(checked);
  await selectBackend(options.backend ?? 'auto');
  const seed = options.seed ?? 0;
  return kind.create(checked, { seed, rng: new Rng(seed), log: options.log ?? (() => {}) });
}

/** Write hook-point activations (e.g. `runWithCache`'s cache) as an F32 safetensors file, batch first; does not dispose them. */
export async function writeActivations(file: string, tensors: Record<string, tf.Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = { shape: t.shape, data: (await t.data()) as Float32Array };
  writeSafetensors(file, out, 'F32', metadata);
}
