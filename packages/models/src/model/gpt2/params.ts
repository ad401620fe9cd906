import type { Checkpoint } from '../checkpoint/checkpoint';
import { leavesOutFinalNorm, matchTensors } from '../checkpoint/checkpoint';
import { filledArray, normalArray } from '../init';
import { Gpt2Config, gpt2ParameterShapes } from './config';

import { HostTensor, ParamSource } from '../param-source';

export type { HostTensor };

/**
 * Hugging Face's GPT-2 initialisation, seeded: N(0, 0.02) for embeddings and linear weights,
 * N(0, 0.02/√(2·nLayer)) for the residual projections (c_proj), zero biases, unit layer norms.
 */
export function initGpt2Params(c: Gpt2Config, blocks: number, seed: number): ParamSource {
  const out = new ParamSource();
  const residualStd = 0.02 / Math.sqrt(2 * c.nLayer);
  for (const { name, shape } of gpt2ParameterShapes(c, blocks)) {
    const count = shape.reduce((a, d) => a * d, 1);
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) out.add(name, shape, () => filledArray(count, 1));
    else if (name.endsWith('.bias')) out.add(name, shape, () => filledArray(count, 0));
    else out.add(name, shape, () => normalArray(count, name.endsWith('c_proj.weight') ? residualStd : 0.02, `gpt2/${seed}/${name}`));
  }
  return out;
}

const GPT2_IGNORED = [/^h\.\d+\.attn\.(bias|masked_bias)$/];

/** Canonical name → checkpoint name for every GPT-2 tensor, from the headers alone; throws on any mismatch. */
export function gpt2CheckpointNames(ckpt: Checkpoint, c: Gpt2Config): Map<string, string> {
  const expected = [...gpt2ParameterShapes(c, c.nLayer), { name: 'lm_head.weight', shape: [c.vocabSize, c.nEmbd], optional: true }];
  return matchTensors(ckpt, expected, { prefixes: ['transformer.'], ignore: GPT2_IGNORED, architecture: `GPT-2 (${c.nLayer} layers, width ${c.nEmbd})` });
}

/**
 * Read the first `blocks` blocks of a GPT-2 checkpoint. Keys may carry a `transformer.`
 * prefix; the attention-mask buffers are skipped; an explicit `lm_head.weight` is returned
 * separately (GPT-2 ties it to `wte.weight`, but fine-tuned checkpoints may not).
 */
export function loadGpt2Params(ckpt: Checkpoint, c: Gpt2Config, blocks: number, withHead = true): { params: ParamSource; lmHead?: HostTensor; lmHeadNotFetched?: boolean } {
  const names = gpt2CheckpointNames(ckpt, c);
  const params = new ParamSource();
  for (const { name, shape } of gpt2ParameterShapes(c, blocks)) {
    const raw = names.get(name)!;
    if (leavesOutFinalNorm(ckpt, name, raw, withHead)) continue;
    params.add(name, shape, () => ckpt.read(raw));
  }
  const head = names.get('lm_head.weight');
  // An untied head in a shard not fetched: the model has no logits then, rather than the tied ones.
  if (head && !withHead && ckpt.shape(head) === undefined) return { params, lmHeadNotFetched: true };
  return { params, lmHead: head ? { shape: [c.vocabSize, c.nEmbd], data: ckpt.read(head) } : undefined };
}
