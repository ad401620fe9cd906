import type { Checkpoint } from '../checkpoint/checkpoint';
import { matchTensors } from '../checkpoint/checkpoint';
import type { HostTensor } from '../gpt2/params';
import { filledArray, normalArray } from '../init';
import { VitConfig, vitParameterShapes, vitStemShapes } from './config';

/** HF ViT initialisation, seeded: (truncated at ±100σ, i.e. plain) N(0, 0.02) weights, zero biases, unit norms. */
export function initVitParams(c: VitConfig, blocks: number, seed: number, stemOnly = false): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const { name, shape } of stemOnly ? vitStemShapes(c) : vitParameterShapes(c, blocks, true)) {
    const count = shape.reduce((a, d) => a * d, 1);
    let data: Float32Array;
    if (/layernorm(_before|_after)?\.weight$/.test(name)) data = filledArray(count, 1);
    else if (name.endsWith('.bias')) data = filledArray(count, 0);
    else data = normalArray(count, 0.02, `vit/${seed}/${name}`);
    out.set(name, { shape, data });
  }
  return out;
}

const VIT_IGNORED = [/^pooler\./];

/** Read a HF ViT checkpoint (`ViTForImageClassification` or `ViTModel`; `vit.` prefix optional). */
export function loadVitParams(ckpt: Checkpoint, c: VitConfig, blocks: number, stemOnly = false): Map<string, HostTensor> {
  const all = vitParameterShapes(c, c.layers, true).map((e) => ({ ...e, optional: e.name.startsWith('classifier.') }));
  const names = matchTensors(ckpt, all, { prefixes: ['vit.'], ignore: VIT_IGNORED, architecture: `ViT (${c.layers} layers, width ${c.hiddenSize})` });
  const out = new Map<string, HostTensor>();
  for (const { name, shape } of stemOnly ? vitStemShapes(c) : vitParameterShapes(c, blocks, true)) {
    const raw = names.get(name);
    if (raw) out.set(name, { shape, data: ckpt.read(raw) });
  }
  return out;
}
