import * as tf from '@tensorflow/tfjs';
import type { HookPass } from './hooks';
import { attention, CausalMasks, FrozenLinear, LayerNorm, splitHeads } from './layers';
import { PER_HEAD_MIN_TOKENS, perHeadAttention, perHeadAttentionEnabled } from './per-head-attention';

/** One pre-LN transformer block (GPT-2 and ViT share this shape). */
export interface TransformerBlock {
  ln1: LayerNorm;
  /** Fused q|k|v projection, [d, 3d]. */
  qkv: FrozenLinear;
  attnOut: FrozenLinear;
  ln2: LayerNorm;
  fc: FrozenLinear;
  mlpOut: FrozenLinear;
}

export interface StackOptions {
  heads: number;
  /** The model's mask cache for causal attention; undefined for bidirectional (ViT). */
  causal: CausalMasks | undefined;
  activation: (x: tf.Tensor) => tf.Tensor;
}

/** TransformerLens hook names for blocks `0…count−1`, in forward order. */
export function blockHookNames(count: number): string[] {
  const names = ['blocks.0.hook_resid_pre'];
  for (let i = 0; i < count; i++) {
    if (i > 0) names.push(`blocks.${i}.hook_resid_pre`);
    for (const n of ['ln1.hook_normalized', 'attn.hook_pattern', 'attn.hook_z', 'hook_attn_out', 'hook_resid_mid', 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post']) {
      names.push(`blocks.${i}.${n}`);
    }
  }
  return names;
}

/**
 * Run the residual stream `x` through `blocks`, emitting every hook point. Returns the
 * stream after the last block, or undefined when the pass already has what it wanted.
 */
export function runBlocks(x: tf.Tensor, blocks: TransformerBlock[], pass: HookPass, o: StackOptions): tf.Tensor | undefined {
  x = pass.point('blocks.0.hook_resid_pre', x);
  if (pass.done) return undefined;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (i > 0) x = pass.point(`blocks.${i}.hook_resid_pre`, x);
    const h = pass.point(`blocks.${i}.ln1.hook_normalized`, b.ln1.apply(x));
    const z = attend(b.qkv.apply(h) as tf.Tensor3D, pass, `blocks.${i}.attn.hook_pattern`, o);
    const attnOut = pass.point(`blocks.${i}.hook_attn_out`, b.attnOut.apply(pass.point(`blocks.${i}.attn.hook_z`, z)));
    x = pass.point(`blocks.${i}.hook_resid_mid`, tf.add(x, attnOut));
    const h2 = pass.point(`blocks.${i}.ln2.hook_normalized`, b.ln2.apply(x));
    const pre = pass.point(`blocks.${i}.mlp.hook_pre`, b.fc.apply(h2));
    const post = pass.point(`blocks.${i}.mlp.hook_post`, o.activation(pre));
    const mlpOut = pass.point(`blocks.${i}.hook_mlp_out`, b.mlpOut.apply(post));
    x = pass.point(`blocks.${i}.hook_resid_post`, tf.add(x, mlpOut));
    if (pass.done) return undefined;
  }
  return x;
}

/** Attention from q|k|v to z; per-head 2-D products unless the pattern is observed or the sequence is short. */
function attend(qkv: tf.Tensor3D, pass: HookPass, patternHook: string, o: StackOptions): tf.Tensor3D {
  const n = qkv.shape[1];
  if (n >= PER_HEAD_MIN_TOKENS && !pass.wants(patternHook) && perHeadAttentionEnabled()) return perHeadAttention(qkv, o.heads, o.causal?.get(n));
  const [q, k, v] = tf.split(qkv, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const { pattern, z } = attention(splitHeads(q, o.heads), splitHeads(k, o.heads), splitHeads(v, o.heads), o.causal);
  pass.point(patternHook, pattern);
  return z;
}

export function disposeBlocks(blocks: TransformerBlock[]): void {
  for (const b of blocks) for (const part of Object.values(b)) (part as { dispose(): void }).dispose();
}

export function blockParameterCount(blocks: TransformerBlock[]): number {
  let n = 0;
  for (const b of blocks) {
    for (const l of [b.qkv, b.attnOut, b.fc, b.mlpOut]) n += l.weight.size + (l.bias?.size ?? 0);
    n += 2 * b.ln1.gamma.size + 2 * b.ln2.gamma.size;
  }
  return n;
}
