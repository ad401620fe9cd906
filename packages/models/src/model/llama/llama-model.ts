import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { InvalidInputError } from '../../util/errors';
import type { HookPass } from '../hooks';
import { HookedModel } from '../hooked-model';
import { attention, CausalMasks, TransposedFrozenLinear } from '../layers';
import type { HostTensor, ParamSource } from '../param-source';
import type { TokenModel } from '../types';
import type { LlamaConfig } from './config';
import { applyRope, inverseFrequencies, ropeTables } from './rope';

export interface LlamaOptions {
  config: LlamaConfig;
  depth: number;
  head: boolean;
  finalNorm: boolean;
  description: string;
  embeddingId: string;
  tokenizer?: Tokenizer;
}

/** RMSNorm as Hugging Face computes it: x / √(mean(x²) + ε) · w. */
function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight);
}

interface LlamaBlock {
  inputNorm: tf.Tensor1D;
  q: TransposedFrozenLinear;
  k: TransposedFrozenLinear;
  v: TransposedFrozenLinear;
  qBias?: tf.Tensor1D;
  kBias?: tf.Tensor1D;
  vBias?: tf.Tensor1D;
  qNorm?: tf.Tensor1D;
  kNorm?: tf.Tensor1D;
  o: TransposedFrozenLinear;
  postNorm: tf.Tensor1D;
  gate: TransposedFrozenLinear;
  up: TransposedFrozenLinear;
  down: TransposedFrozenLinear;
}

const BLOCK_HOOKS = ['ln1.hook_normalized', 'attn.hook_pattern', 'attn.hook_z', 'hook_attn_out', 'hook_resid_mid', 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post'];

/** TransformerLens hook names of a Llama-shaped model with `depth` blocks. */
export function llamaHookNames(depth: number, head: boolean, finalNorm: boolean): string[] {
  const names = ['blocks.0.hook_resid_pre'];
  for (let i = 0; i < depth; i++) {
    if (i > 0) names.push(`blocks.${i}.hook_resid_pre`);
    for (const n of BLOCK_HOOKS) names.push(`blocks.${i}.${n}`);
  }
  if (finalNorm || !head) names.push('ln_final.hook_normalized');
  if (head) names.push('logits');
  return names;
}

/**
 * Llama, Qwen2 and Qwen3 as functions of their input embeddings: pre-RMSNorm blocks,
 * grouped-query causal attention with rotary positions (Qwen3: q/k RMSNorm per head; Qwen2:
 * q/k/v biases), SwiGLU MLP, final RMSNorm, tied or untied LM head. Rotary models add no
 * position embedding to the input, so `blocks.0.hook_resid_pre` is the token embedding alone.
 */
export class LlamaModel extends HookedModel implements TokenModel {
  readonly kind: string;
  readonly inputSpace = 'embeddings' as const;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly causal = true;
  protected readonly hookNames: string[];
  private readonly wte: tf.Tensor2D;
  private readonly blocks: LlamaBlock[] = [];
  private readonly norm: tf.Tensor1D;
  private readonly lmHead: TransposedFrozenLinear;
  private readonly untiedHead: tf.Tensor2D | undefined;
  private readonly masks = new CausalMasks();
  private readonly inv: Float64Array;
  /** Query head h reads key/value head ⌊h / (heads / kvHeads)⌋ (grouped-query attention). */
  private readonly kvIndex: tf.Tensor1D | undefined;
  private readonly tensors: tf.Tensor[] = [];
  private readonly ropeByLength = new Map<number, { cos: tf.Tensor2D; sin: tf.Tensor2D }>();

  constructor(
    params: ParamSource,
    readonly options: LlamaOptions,
  ) {
    super();
    const c = options.config;
    const t = (name: string): tf.Tensor => {
      const p: HostTensor | undefined = params.get(name);
      if (!p) throw new Error(`${c.family} parameter ${name} missing`);
      const made = tf.tensor(p.data, p.shape);
      this.tensors.push(made);
      return made;
    };
    const linear = (name: string) => new TransposedFrozenLinear(t(`${name}.weight`) as tf.Tensor2D);
    this.kind = c.family;
    this.wte = t('model.embed_tokens.weight') as tf.Tensor2D;
    for (let i = 0; i < options.depth; i++) {
      const p = `model.layers.${i}`;
      this.blocks.push({
        inputNorm: t(`${p}.input_layernorm.weight`) as tf.Tensor1D,
        q: linear(`${p}.self_attn.q_proj`),
        k: linear(`${p}.self_attn.k_proj`),
        v: linear(`${p}.self_attn.v_proj`),
        ...(c.qkvBias ? { qBias: t(`${p}.self_attn.q_proj.bias`) as tf.Tensor1D, kBias: t(`${p}.self_attn.k_proj.bias`) as tf.Tensor1D, vBias: t(`${p}.self_attn.v_proj.bias`) as tf.Tensor1D } : {}),
        ...(c.qkNorm ? { qNorm: t(`${p}.self_attn.q_norm.weight`) as tf.Tensor1D, kNorm: t(`${p}.self_attn.k_norm.weight`) as tf.Tensor1D } : {}),
        o: linear(`${p}.self_attn.o_proj`),
        postNorm: t(`${p}.post_attention_layernorm.weight`) as tf.Tensor1D,
        gate: linear(`${p}.mlp.gate_proj`),
        up: linear(`${p}.mlp.up_proj`),
        down: linear(`${p}.mlp.down_proj`),
      });
    }
    this.norm = t('model.norm.weight') as tf.Tensor1D;
    this.untiedHead = options.head && !c.tieWordEmbeddings ? (t('lm_head.weight') as tf.Tensor2D) : undefined;
    this.lmHead = new TransposedFrozenLinear(this.untiedHead ?? this.wte);
    this.inv = inverseFrequencies(c);
    const rep = c.heads / c.kvHeads;
    if (rep > 1) {
      this.kvIndex = tf.tensor1d(Array.from({ length: c.heads }, (_, h) => Math.floor(h / rep)), 'int32');
      this.tensors.push(this.kvIndex);
    }
    this.hookNames = llamaHookNames(options.depth, options.head, options.finalNorm);
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    this.tokenizer = options.tokenizer;
  }

  get vocabSize(): number {
    return this.options.config.vocabSize;
  }

  get dModel(): number {
    return this.options.config.hidden;
  }

  get maxPositions(): number {
    return this.options.config.maxPositions;
  }

  tokenEmbeddingMatrix(): tf.Tensor2D {
    return this.wte;
  }

  /** Rotary models add no position embedding to their input: zeros. */
  positionEmbeddings(n: number): tf.Tensor2D {
    return tf.zeros([n, this.dModel]);
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    const n = tokenIds[0]?.length ?? 0;
    for (const row of tokenIds) {
      if (row.length !== n) throw new InvalidInputError(`${this.kind}: every sequence of a batch must have the same length`, 'E_INPUT');
      const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
      if (bad !== undefined) throw new InvalidInputError(`${this.kind}: token id ${bad} is outside the vocabulary of ${this.vocabSize}`, 'E_INPUT');
    }
    if (n > this.maxPositions) throw new InvalidInputError(`${this.kind}: ${n} tokens is more than the model's ${this.maxPositions} positions`, 'E_INPUT');
    return tf.tidy(() => tf.reshape(tf.gather(this.wte, tf.tensor2d(tokenIds, [tokenIds.length, n], 'int32').flatten()), [tokenIds.length, n, this.dModel]));
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    const c = this.options.config;
    if (input.rank !== 3 || input.shape[2] !== c.hidden) throw new InvalidInputError(`${this.kind} expects embeddings [batch, tokens, ${c.hidden}], got [${input.shape.join(', ')}]`, 'E_INPUT');
    const [b, n] = input.shape as [number, number, number];
    if (n > c.maxPositions) throw new InvalidInputError(`${this.kind}: ${n} tokens is more than the model's ${c.maxPositions} positions`, 'E_INPUT');
    const { cos, sin } = this.rope(n);
    {
      let x = pass.point('blocks.0.hook_resid_pre', input);
      if (pass.done) return pass.result!;
      const heads = (t: tf.Tensor, count: number) => tf.transpose(tf.reshape(t, [b, n, count, c.headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
      for (let i = 0; i < this.blocks.length; i++) {
        const blk = this.blocks[i]!;
        if (i > 0) x = pass.point(`blocks.${i}.hook_resid_pre`, x);
        const h = pass.point(`blocks.${i}.ln1.hook_normalized`, rmsNorm(x, blk.inputNorm, c.rmsNormEps));
        const withBias = (y: tf.Tensor, bias?: tf.Tensor1D) => (bias ? tf.add(y, bias) : y);
        let q = heads(withBias(blk.q.apply(h), blk.qBias), c.heads);
        let k = heads(withBias(blk.k.apply(h), blk.kBias), c.kvHeads);
        const v = heads(withBias(blk.v.apply(h), blk.vBias), c.kvHeads);
        if (blk.qNorm) q = rmsNorm(q, blk.qNorm, c.rmsNormEps) as tf.Tensor4D;
        if (blk.kNorm) k = rmsNorm(k, blk.kNorm, c.rmsNormEps) as tf.Tensor4D;
        q = applyRope(q, cos, sin);
        k = applyRope(k, cos, sin);
        // Grouped-query attention: each key/value head serves `rep` consecutive query heads.
        const kFull = this.kvIndex ? (tf.gather(k, this.kvIndex, 1) as tf.Tensor4D) : k;
        const vFull = this.kvIndex ? (tf.gather(v, this.kvIndex, 1) as tf.Tensor4D) : v;
        const { pattern, z } = attention(q, kFull, vFull, this.masks);
        pass.point(`blocks.${i}.attn.hook_pattern`, pattern);
        const attnOut = pass.point(`blocks.${i}.hook_attn_out`, blk.o.apply(pass.point(`blocks.${i}.attn.hook_z`, z)));
        x = pass.point(`blocks.${i}.hook_resid_mid`, tf.add(x, attnOut));
        const h2 = pass.point(`blocks.${i}.ln2.hook_normalized`, rmsNorm(x, blk.postNorm, c.rmsNormEps));
        const gate = pass.point(`blocks.${i}.mlp.hook_pre`, blk.gate.apply(h2));
        const up = pass.point(`blocks.${i}.mlp.hook_pre_linear`, blk.up.apply(h2));
        const post = pass.point(`blocks.${i}.mlp.hook_post`, tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
        const mlpOut = pass.point(`blocks.${i}.hook_mlp_out`, blk.down.apply(post));
        x = pass.point(`blocks.${i}.hook_resid_post`, tf.add(x, mlpOut));
        if (pass.done) return pass.result!;
      }
      if (this.options.finalNorm || !this.options.head) {
        x = pass.point('ln_final.hook_normalized', rmsNorm(x, this.norm, c.rmsNormEps));
        if (pass.done) return pass.result!;
      }
      if (this.options.head) pass.point('logits', this.lmHead.apply(x));
      if (!pass.result) throw new Error('forward pass ended before its output hook');
      return pass.result;
    }
  }

  /** The cos/sin tables for `n` positions, kept per length like the causal masks (gradients read them after the forward). */
  private rope(n: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    let tables = this.ropeByLength.get(n);
    if (!tables) {
      const made = tf.tidy(() => ropeTables(this.options.config, n, this.inv));
      tables = { cos: tf.keep(made.cos), sin: tf.keep(made.sin) };
      this.ropeByLength.set(n, tables);
    }
    return tables;
  }

  parameterCount(): number {
    return this.tensors.reduce((a, t) => a + t.size, 0);
  }

  dispose(): void {
    tf.dispose(this.tensors);
    for (const t of this.ropeByLength.values()) tf.dispose([t.cos, t.sin]);
    this.ropeByLength.clear();
    this.masks.dispose();
  }
}
