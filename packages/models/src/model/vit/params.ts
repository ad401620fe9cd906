import type { Checkpoint } from '../checkpoint/checkpoint';
import { matchTensors } from '../checkpoint/checkpoint';
import { ParamSource } from '../param-source';
import { filledArray, normalArray } from '../init';
import { VitConfig, vitParameterShapes, vitStemShapes } from './config';

/** HF ViT initialisation, seeded: (truncated at ±100σ, i.e. plain) N(0, 0.02) weights, zero biases, unit norms. */
export function initVitParams(c: VitConfig, blocks: number, seed: number, stemOnly = false): ParamSource {
  const out = new ParamSource();
  for (const { name, shape } of stemOnly ? vitStemShapes(c) : vitParameterShapes(c, blocks, true)) {
    const count = shape.reduce((a, d) => a * d, 1);
    if (/layernorm(_before|_after)?\.weight$/.test(name)) out.add(name, shape, () => filledArray(count, 1));
    else if (name.endsWith('.bias')) out.add(name, shape, () => filledArray(count, 0));
    else out.add(name, shape, () => normalArray(count, 0.02, `vit/${seed}/${name}`));
  }
  return out;
}

const VIT_IGNORED = [/^pooler\./];

/** Read a HF ViT checkpoint (`ViTForImageClassification` or `ViTModel`; `vit.` prefix optional). */
/** Canonical name → checkpoint name for every ViT tensor, from the headers alone; throws on any mismatch. */
export function vitCheckpointNames(ckpt: Checkpoint, c: VitConfig): Map<string, string> {
  const all = vitParameterShapes(c, c.layers, true).map((e) => ({ ...e, optional: e.name.startsWith('classifier.') }));
  return matchTensors(ckpt, all, { prefixes: ['vit.'], ignore: VIT_IGNORED, architecture: `ViT (${c.layers} layers, width ${c.hiddenSize})` });
}

export function loadVitParams(ckpt: Checkpoint, c: VitConfig, blocks: number, stemOnly = false): ParamSource {
  const names = vitCheckpointNames(ckpt, c);
  const out = new ParamSource();
  for (const { name, shape } of stemOnly ? vitStemShapes(c) : vitParameterShapes(c, blocks, true)) {
    const raw = names.get(name);
    if (raw) out.add(name, shape, () => ckpt.read(raw));
  }
  return out;
}
