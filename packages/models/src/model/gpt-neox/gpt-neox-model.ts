import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { InvalidInputError } from '../../util/errors';
import { HookPass } from '../hooks';
import { HookedModel } from '../hooked-model';
import { attention, CausalMasks, FrozenLinear, geluErf, geluTanh, LayerNorm, TransposedFrozenLinear } from '../layers';
import { applyRope, inverseFrequencies, ropeTables } from '../llama/rope';
import type { HostTensor, ParamSource } from '../param-source';
import { attendOnePosition } from '../prefix-cache';
import { gatherTokenRows } from '../token-embeddings';
import { frozenMatrix, HeldMatrix, SplitMatrix, wholeMatrix } from '../split-matrix';
import type { NextPositionStates, TokenModel } from '../types';
import type { GptNeoxConfig } from './config';

export interface GptNeoxOptions {
  config: GptNeoxConfig;
  depth: number;
  head: boolean;
  finalNorm: boolean;
  description: string;
  embeddingId: string;
  tokenizer?: Tokenizer;
}

interface NeoxBlock {
  ln1: LayerNorm;
  qkv: FrozenLinear;
  dense: FrozenLinear;
  ln2: LayerNorm;
  up: FrozenLinear;
  down: FrozenLinear;
}

/** What a block's queries attend to: given its rotated queries and keys and its values by head [b, heads, n, headDim], the merged head outputs z [b, n, d]. */
type Attend = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, block: number) => { pattern?: tf.Tensor4D; z: tf.Tensor3D };

/** TransformerLens hook names of a GPT-NeoX with `depth` blocks; `hook_resid_mid` only where the residual is sequential. */
export function gptNeoxHookNames(depth: number, parallelResidual: boolean, head: boolean, finalNorm: boolean): string[] {
  const block = ['ln1.hook_normalized', 'attn.hook_pattern', 'attn.hook_z', 'hook_attn_out', ...(parallelResidual ? [] : ['hook_resid_mid']), 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post'];
  const names = ['blocks.0.hook_resid_pre'];
  for (let i = 0; i < depth; i++) {
    if (i > 0) names.push(`blocks.${i}.hook_resid_pre`);
    for (const n of block) names.push(`blocks.${i}.${n}`);
  }
  if (finalNorm || !head) names.push('ln_final.hook_normalized');
  if (head) names.push('logits');
  return names;
}

/**
 * GPT-NeoX (Pythia) as a function of its input embeddings: pre-LayerNorm blocks, causal
 * attention from one fused query_key_value projection with rotary positions on the leading
 * `rotaryDims` of each head, a GELU MLP, a final LayerNorm and an untied (or tied) head.
 *
 * With `use_parallel_residual` (Pythia) a block computes x + attn(ln1(x)) + mlp(ln2(x)): the
 * MLP reads the block's input, not x + attn, so there is no intermediate residual stream and
 * no `hook_resid_mid` hook point; `ln2.hook_normalized` is ln2 of `hook_resid_pre`. Sequential
 * models have `hook_resid_mid` as GPT-2 does. Rotary models add no position embedding, so
 * `blocks.0.hook_resid_pre` is the token embedding alone.
 */
export class GptNeoxModel extends HookedModel implements TokenModel {
  readonly kind = 'gpt_neox';
  readonly inputSpace = 'embeddings' as const;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly causal = true;
  protected readonly hookNames: string[];
  private readonly config: GptNeoxConfig;
  private readonly wte: HeldMatrix;
  private readonly blocks: NeoxBlock[] = [];
  /** Absent only when the checkpoint folder lacks it and the head is off (a depth-limited download): then no hook reads it. */
  private readonly lnFinal?: LayerNorm;
  private readonly lmHead: TransposedFrozenLinear;
  private readonly activation: (x: tf.Tensor) => tf.Tensor;
  private readonly masks = new CausalMasks();
  private readonly inv: Float64Array;
  private readonly tensors: tf.Tensor[] = [];
  /** W_E and an untied head in row blocks (webgpu, over the device's binding limit). */
  private readonly splits: SplitMatrix[] = [];
  private readonly ropeByLength = new Map<number, { cos: tf.Tensor2D; sin: tf.Tensor2D }>();

  constructor(
    params: ParamSource,
    readonly options: GptNeoxOptions,
  ) {
    super();
    const c = (this.config = options.config);
    const host = (name: string): HostTensor => {
      const p = params.get(name);
      if (!p) throw new Error(`gpt_neox parameter ${name} missing`);
      return p;
    };
    const t = (name: string): tf.Tensor => {
      const p = host(name);
      const made = tf.tensor(p.data, p.shape);
      this.tensors.push(made);
      return made;
    };
    // HF Linear weights are [out, in]; held as [in, out] (transposed once here) so every
    // projection is one fused matmul + bias whose input gradient needs no transposed operand.
    const linear = (prefix: string, bias: boolean): FrozenLinear => {
      const p = host(`${prefix}.weight`);
      const weight = tf.tidy(() => tf.transpose(tf.tensor2d(p.data, p.shape as [number, number])));
      this.tensors.push(weight);
      return new FrozenLinear(weight, bias ? (t(`${prefix}.bias`) as tf.Tensor1D) : undefined);
    };
    const ln = (prefix: string) => new LayerNorm(t(`${prefix}.weight`) as tf.Tensor1D, t(`${prefix}.bias`) as tf.Tensor1D, c.layerNormEps);
    // W_E and the untied head, [V, d]: in row blocks where they are over the device's binding limit (webgpu).
    const matrix = (name: string): HeldMatrix => {
      const made = frozenMatrix(host(name));
      if (made instanceof SplitMatrix) this.splits.push(made);
      else this.tensors.push(made);
      return made;
    };
    this.wte = matrix('gpt_neox.embed_in.weight');
    for (let i = 0; i < options.depth; i++) {
      const p = `gpt_neox.layers.${i}`;
      this.blocks.push({
        ln1: ln(`${p}.input_layernorm`),
        qkv: linear(`${p}.attention.query_key_value`, c.attentionBias),
        dense: linear(`${p}.attention.dense`, c.attentionBias),
        ln2: ln(`${p}.post_attention_layernorm`),
        up: linear(`${p}.mlp.dense_h_to_4h`, true),
        down: linear(`${p}.mlp.dense_4h_to_h`, true),
      });
    }
    this.lnFinal = params.has('gpt_neox.final_layer_norm.weight') ? ln('gpt_neox.final_layer_norm') : undefined;
    const untied = options.head && !c.tieWordEmbeddings ? matrix('embed_out.weight') : undefined;
    this.lmHead = new TransposedFrozenLinear(untied ?? this.wte);
    this.activation = c.activation === 'erf' ? geluErf : geluTanh;
    this.inv = inverseFrequencies(c.rotaryDims, c.rotaryBase);
    this.hookNames = gptNeoxHookNames(options.depth, c.parallelResidual, options.head, options.finalNorm).filter((n) => this.lnFinal || n !== 'ln_final.hook_normalized');
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    this.tokenizer = options.tokenizer;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get dModel(): number {
    return this.config.hidden;
  }

  get maxPositions(): number {
    return this.config.maxPositions;
  }

  tokenEmbeddingMatrix(): tf.Tensor2D {
    return wholeMatrix(this.wte, 'W_E (gpt_neox.embed_in.weight)');
  }

  /** W_E as held: in row blocks on webgpu when over the binding limit (see token-embedding-rows.ts). */
  tokenEmbeddingRows(): HeldMatrix {
    return this.wte;
  }

  /** Rotary models add no position embedding to their input: zeros. */
  positionEmbeddings(n: number): tf.Tensor2D {
    return tf.zeros([n, this.dModel]);
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    return gatherTokenRows(this.wte, tokenIds, this.maxPositions);
  }


  private checkLength(n: number): void {
    if (n > this.maxPositions) throw new InvalidInputError(`${this.kind}: ${n} tokens is more than the model's ${this.maxPositions} positions`, 'E_INPUT');
  }

  private checkInput(input: tf.Tensor, what: string): void {
    if (input.rank !== 3 || input.shape[2] !== this.dModel) throw new InvalidInputError(`${this.kind} expects ${what} [batch, tokens, ${this.dModel}], got [${input.shape.join(', ')}]`, 'E_INPUT');
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    this.checkInput(input, 'embeddings');
    const n = input.shape[1]!;
    this.checkLength(n);
    const { cos, sin } = this.rope(n);
    let x = pass.point('blocks.0.hook_resid_pre', input);
    if (pass.done) return pass.result!;
    const attend: Attend = (q, k, v) => attention(q, k, v, this.masks);
    for (let i = 0; i < this.blocks.length; i++) {
      if (i > 0) x = pass.point(`blocks.${i}.hook_resid_pre`, x);
      x = this.block(i, x, pass, cos, sin, attend);
      if (pass.done) return pass.result!;
    }
    if (this.lnFinal && (this.options.finalNorm || !this.options.head)) {
      const normalized = pass.point('ln_final.hook_normalized', this.lnFinal.apply(x));
      if (pass.done) return pass.result!;
      if (this.options.finalNorm) x = normalized;
    }
    if (this.options.head) pass.point('logits', this.lmHead.apply(x));
    if (!pass.result) throw new Error('forward pass ended before its output hook');
    return pass.result;
  }

  /** Block `i` on the residual stream x [b, n, d]; `attend` decides what each position's queries see. */
  private block(i: number, x: tf.Tensor, pass: HookPass, cos: tf.Tensor2D, sin: tf.Tensor2D, attend: Attend): tf.Tensor {
    const blk = this.blocks[i]!;
    const p = `blocks.${i}`;
    const h = pass.point(`${p}.ln1.hook_normalized`, blk.ln1.apply(x));
    const { q, k, v } = this.project(blk, h, cos, sin);
    const { pattern, z } = attend(q, k, v, i);
    if (pattern) pass.point(`${p}.attn.hook_pattern`, pattern);
    const attnOut = pass.point(`${p}.hook_attn_out`, blk.dense.apply(pass.point(`${p}.attn.hook_z`, z)));
    // Parallel residual: the MLP reads the block input and both outputs join it at once.
    const mid = this.config.parallelResidual ? undefined : pass.point(`${p}.hook_resid_mid`, tf.add(x, attnOut));
    const h2 = pass.point(`${p}.ln2.hook_normalized`, blk.ln2.apply(mid ?? x));
    const pre = pass.point(`${p}.mlp.hook_pre`, blk.up.apply(h2));
    const post = pass.point(`${p}.mlp.hook_post`, this.activation(pre));
    const mlpOut = pass.point(`${p}.hook_mlp_out`, blk.down.apply(post));
    return pass.point(`${p}.hook_resid_post`, mid ? tf.add(mid, mlpOut) : tf.add(tf.add(mlpOut, attnOut), x));
  }

  /**
   * Queries (rotated), keys (rotated) and values by head, [b, heads, n, headDim]. The fused
   * projection's output is laid out per head — [heads, 3, headDim], as HF views it — not as
   * all queries, then all keys, then all values.
   */
  private project(blk: NeoxBlock, h: tf.Tensor, cos: tf.Tensor2D, sin: tf.Tensor2D): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
    const c = this.config;
    const [b, n] = h.shape as [number, number, number];
    const fused = tf.reshape(blk.qkv.apply(h), [b, n, c.heads, 3 * c.headDim]);
    const [q, k, v] = tf.split(fused, 3, 3).map((part) => tf.transpose(part, [0, 2, 1, 3]) as tf.Tensor4D) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    return { q: this.rotate(q, cos, sin), k: this.rotate(k, cos, sin), v };
  }

  /** RoPE on each head's first rotaryDims dimensions (rotate-half within them); the rest pass through unchanged. */
  private rotate(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
    const { rotaryDims, headDim } = this.config;
    if (rotaryDims === 0) return x;
    if (rotaryDims === headDim) return applyRope(x, cos, sin);
    const [rot, rest] = tf.split(x, [rotaryDims, headDim - rotaryDims], 3) as [tf.Tensor4D, tf.Tensor4D];
    return tf.concat([applyRope(rot, cos, sin), rest], 3);
  }

  /** The cos/sin tables for `n` positions, kept per length like the causal masks (gradients read them after the forward). */
  private rope(n: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    let tables = this.ropeByLength.get(n);
    if (!tables) {
      const made = tf.tidy(() => ropeTables(this.inv, n));
      tables = { cos: tf.keep(made.cos), sin: tf.keep(made.sin) };
      this.ropeByLength.set(n, tables);
    }
    return tables;
  }

  /**
   * The output at position n after a prefix [1, n, d], for candidates [B, 1, d] → [B, width].
   * The prefix's keys (rotated at their own positions) and values are computed once; each
   * candidate's query and key are rotated at position n.
   */
  nextPositionStates(prefix: tf.Tensor3D | undefined): NextPositionStates {
    if (prefix) {
      this.checkInput(prefix, 'a prefix');
      if (prefix.shape[0] !== 1) throw new InvalidInputError(`${this.kind}: a cached prefix is one sequence [1, tokens, ${this.dModel}], got a batch of ${prefix.shape[0]}`, 'E_INPUT');
    }
    const n = prefix?.shape[1] ?? 0;
    this.checkLength(n + 1);
    if (n === 0) {
      return { states: (next) => tf.tidy(() => tf.reshape(this.forward(next), [next.shape[0], -1]) as tf.Tensor2D), dispose: () => {} };
    }
    const past = this.prefixKeyValues(prefix!);
    const at = tf.tidy(() => ropeTables(this.inv, 1, n));
    // A pass nothing observes: the candidates' activations are not hook points of a sequence.
    const unobserved = new HookPass('', undefined, undefined);
    const byHead = (t: tf.Tensor4D) => tf.transpose(tf.squeeze(t, [2]), [1, 0, 2]) as tf.Tensor3D; // [B, h, 1, dh] → [h, B, dh]
    return {
      states: (next) =>
        tf.tidy(() => {
          this.checkInput(next, 'candidates');
          const batch = next.shape[0];
          if (next.shape[1] !== 1) throw new InvalidInputError(`${this.kind}: candidates are one position each [batch, 1, ${this.dModel}], got [${next.shape.join(', ')}]`, 'E_INPUT');
          const scale = 1 / Math.sqrt(this.config.headDim);
          const attend: Attend = (q, k, v, i) => {
            const mixed = attendOnePosition(byHead(q), byHead(k), byHead(v), past.keys[i]!, past.values[i]!, scale); // [h, B, dh]
            return { z: tf.reshape(tf.transpose(mixed, [1, 0, 2]), [batch, 1, this.dModel]) as tf.Tensor3D };
          };
          let x: tf.Tensor = next;
          for (let i = 0; i < this.blocks.length; i++) x = this.block(i, x, unobserved, at.cos, at.sin, attend);
          if (this.options.head) x = this.lmHead.apply(this.options.finalNorm ? this.lnFinal!.apply(x) : x);
          return tf.reshape(x, [batch, -1]) as tf.Tensor2D;
        }),
      dispose: () => tf.dispose([...past.keys, ...past.values, at.cos, at.sin]),
    };
  }

  /** Each kept block's rotated keys and values of the prefix, [heads, n, headDim]. The caller owns them. */
  private prefixKeyValues(prefix: tf.Tensor3D): { keys: tf.Tensor3D[]; values: tf.Tensor3D[] } {
    const { cos, sin } = this.rope(prefix.shape[1]);
    return tf.tidy(() => {
      const keys: tf.Tensor3D[] = [];
      const values: tf.Tensor3D[] = [];
      const attend: Attend = (q, k, v) => {
        keys.push(tf.squeeze(k, [0]));
        values.push(tf.squeeze(v, [0]));
        return attention(q, k, v, this.masks);
      };
      const unobserved = new HookPass('', undefined, undefined);
      let x: tf.Tensor = prefix;
      for (let i = 0; i < this.blocks.length; i++) x = this.block(i, x, unobserved, cos, sin, attend);
      return { keys, values };
    });
  }

  parameterCount(): number {
    return [...this.tensors, ...this.splits].reduce((a, t) => a + t.size, 0);
  }

  dispose(): void {
    tf.dispose(this.tensors);
    for (const m of this.splits) m.dispose();
    for (const t of this.ropeByLength.values()) tf.dispose([t.cos, t.sin]);
    this.ropeByLength.clear();
    this.masks.dispose();
  }
}
