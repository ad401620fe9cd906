import { InvalidInputError } from '../../util/errors';
import { hfDimension, hfPositive, MODEL_LIMITS } from '../limits';

export interface VitConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  layerNormEps: number;
  numLabels: number;
  imageMean: number[];
  imageStd: number[];
}

const BASE = { imageSize: 224, patchSize: 16, channels: 3, layerNormEps: 1e-12, numLabels: 1000, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5] };

export const VIT_SIZES: Record<'b16' | 'l16', VitConfig> = {
  b16: { ...BASE, hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072 },
  l16: { ...BASE, hiddenSize: 1024, layers: 24, heads: 16, intermediateSize: 4096 },
};

/** HF `ViTConfig` (config.json) plus the image processor's mean/std when given there; every field checked. */
export function vitConfigFromHf(hf: Record<string, unknown>, where: string): VitConfig {
  const act = hf['hidden_act'];
  if (act !== undefined && act !== 'gelu') throw new InvalidInputError(`${where}: hidden_act ${JSON.stringify(act).slice(0, 40)} is not supported (ViT uses exact gelu)`, 'E_CHECKPOINT');
  const id2label = hf['id2label'];
  if (id2label !== undefined && (id2label === null || typeof id2label !== 'object' || Array.isArray(id2label))) throw new InvalidInputError(`${where}: config.json "id2label" must be an object`, 'E_CHECKPOINT');
  const channels = hfDimension(hf, 'num_channels', where, { min: 1, max: MODEL_LIMITS.channels }, 3);
  const perChannel = (key: string): number[] => {
    const v = hf[key] ?? [0.5, 0.5, 0.5];
    if (!Array.isArray(v) || v.length !== channels || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new InvalidInputError(`${where}: "${key}" must be ${channels} finite numbers, one per channel (got ${JSON.stringify(v).slice(0, 40)})`, 'E_CHECKPOINT');
    }
    return v as number[];
  };
  const labels = id2label ? Object.keys(id2label).length : hfDimension(hf, 'num_labels', where, { min: 0, max: MODEL_LIMITS.labels }, 0);
  if (labels > MODEL_LIMITS.labels) throw new InvalidInputError(`${where}: config.json "id2label" has ${labels} labels, more than ${MODEL_LIMITS.labels}`, 'E_CHECKPOINT');
  return {
    imageSize: hfDimension(hf, 'image_size', where, { min: 1, max: MODEL_LIMITS.imageSize }, 224),
    patchSize: hfDimension(hf, 'patch_size', where, { min: 1, max: MODEL_LIMITS.imageSize }, 16),
    channels,
    hiddenSize: hfDimension(hf, 'hidden_size', where, { min: 1, max: MODEL_LIMITS.width }),
    layers: hfDimension(hf, 'num_hidden_layers', where, { min: 0, max: MODEL_LIMITS.layers }),
    heads: hfDimension(hf, 'num_attention_heads', where, { min: 1, max: MODEL_LIMITS.heads }),
    intermediateSize: hfDimension(hf, 'intermediate_size', where, { min: 1, max: MODEL_LIMITS.width * 8 }),
    layerNormEps: hfPositive(hf, 'layer_norm_eps', where, 1e-12),
    numLabels: labels,
    imageMean: perChannel('image_mean'),
    imageStd: perChannel('image_std'),
  };
}

export function vitPatchCount(c: VitConfig): number {
  return (c.imageSize / c.patchSize) ** 2;
}

/** Canonical (HF `ViTForImageClassification`, without the `vit.` prefix) parameter names and shapes. */
export function vitStemShapes(c: VitConfig): { name: string; shape: number[] }[] {
  const d = c.hiddenSize;
  return [
    { name: 'embeddings.cls_token', shape: [1, 1, d] },
    { name: 'embeddings.position_embeddings', shape: [1, vitPatchCount(c) + 1, d] },
    { name: 'embeddings.patch_embeddings.projection.weight', shape: [d, c.channels, c.patchSize, c.patchSize] },
    { name: 'embeddings.patch_embeddings.projection.bias', shape: [d] },
  ];
}

export function vitParameterShapes(c: VitConfig, blocks: number, classifier: boolean): { name: string; shape: number[] }[] {
  const d = c.hiddenSize;
  const out = vitStemShapes(c);
  for (let i = 0; i < blocks; i++) {
    const p = `encoder.layer.${i}`;
    for (const m of ['query', 'key', 'value']) out.push({ name: `${p}.attention.attention.${m}.weight`, shape: [d, d] }, { name: `${p}.attention.attention.${m}.bias`, shape: [d] });
    out.push(
      { name: `${p}.attention.output.dense.weight`, shape: [d, d] },
      { name: `${p}.attention.output.dense.bias`, shape: [d] },
      { name: `${p}.intermediate.dense.weight`, shape: [c.intermediateSize, d] },
      { name: `${p}.intermediate.dense.bias`, shape: [c.intermediateSize] },
      { name: `${p}.output.dense.weight`, shape: [d, c.intermediateSize] },
      { name: `${p}.output.dense.bias`, shape: [d] },
      { name: `${p}.layernorm_before.weight`, shape: [d] },
      { name: `${p}.layernorm_before.bias`, shape: [d] },
      { name: `${p}.layernorm_after.weight`, shape: [d] },
      { name: `${p}.layernorm_after.bias`, shape: [d] },
    );
  }
  out.push({ name: 'layernorm.weight', shape: [d] }, { name: 'layernorm.bias', shape: [d] });
  if (classifier && c.numLabels > 0) out.push({ name: 'classifier.weight', shape: [c.numLabels, d] }, { name: 'classifier.bias', shape: [c.numLabels] });
  return out;
}
