import { InvalidInputError } from '../../util/errors';

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

/** HF `ViTConfig` (config.json) plus the image processor's mean/std when given there. */
export function vitConfigFromHf(hf: Record<string, unknown>, where: string): VitConfig {
  const num = (key: string, fallback?: number): number => {
    const v = hf[key] ?? fallback;
    if (typeof v !== 'number') throw new InvalidInputError(`${where}: config.json has no numeric "${key}"`, 'E_CHECKPOINT');
    return v;
  };
  const act = hf['hidden_act'];
  if (act !== undefined && act !== 'gelu') throw new InvalidInputError(`${where}: hidden_act "${String(act)}" is not supported (ViT uses exact gelu)`, 'E_CHECKPOINT');
  const labels = hf['id2label'] ? Object.keys(hf['id2label'] as object).length : ((hf['num_labels'] as number | undefined) ?? 0);
  return {
    imageSize: num('image_size', 224),
    patchSize: num('patch_size', 16),
    channels: num('num_channels', 3),
    hiddenSize: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediateSize: num('intermediate_size'),
    layerNormEps: num('layer_norm_eps', 1e-12),
    numLabels: labels,
    imageMean: (hf['image_mean'] as number[] | undefined) ?? [0.5, 0.5, 0.5],
    imageStd: (hf['image_std'] as number[] | undefined) ?? [0.5, 0.5, 0.5],
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
