import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { InvalidInputError } from '../../util/errors';
import { HookPass } from '../hooks';
import { HookedModel } from '../hooked-model';
import { TransposedFrozenLinear } from '../layers';
import type { HostTensor, ParamSource } from '../param-source';
import { attendOnePosition } from '../prefix-cache';
import { gatherTokenRows } from '../token-embeddings';
import { checkTrainableFits, frozenMatrix, HeldMatrix, SplitMatrix, wholeMatrix } from '../split-matrix';
import type { NextPositionStates, TrainableTokenModel } from '../types';
import { maskedAttention, WindowedCausalMasks } from './attention';
import type { LlamaConfig } from './config';
import { applyRope, inverseFrequencies, ropeTables } from './rope';

export interface LlamaOptions {
  config: LlamaConfig;
  /** config.json of a checkpoint of this model (what a trained model saves beside its weights). */
  hfConfig: Record<string, unknown>;
  depth: number;
  head: boolean;
  finalNorm: boolean;
  description: string;
  embeddingId: string;
  tokenizer?: Tokenizer;
  /** Hold parameters as trainable tf.Variables (plugin-train). */
  trainable?: boolean;
}

/** RMSNorm as Hugging Face computes it: x / √(mean(x²) + ε) · w (Gemma's (1 + w) is folded into w at load). */
function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
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
  /** Gemma's sandwich: post_attention_layernorm normalises the attention output; these wrap the MLP. */
  preMlpNorm?: tf.Tensor1D;
  postMlpNorm?: tf.Tensor1D;
  gate: TransposedFrozenLinear;
  up: TransposedFrozenLinear;
  down: TransposedFrozenLinear;
  /** Positions a query sees (itself included) on a sliding-window layer; undefined: all earlier ones. */
  window: number | undefined;
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

/** A pass that observes nothing: the prefix of a cached sequential search. */
const UNOBSERVED = (): HookPass => new HookPass('', undefined, undefined);

/** tanh-approximated GELU (gelu_pytorch_tanh), Gemma's MLP gate. */
function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))));
}

/**
 * Llama, Qwen2, Qwen3 and Gemma 3 as functions of their input embeddings: pre-RMSNorm blocks,
 * grouped-query causal attention with rotary positions (Qwen3 and Gemma: q/k RMSNorm per head;
 * Qwen2: q/k/v biases; Gemma: sliding-window layers with their own RoPE base, sandwich norms,
 * GeGLU, embeddings × √hidden), a gated MLP, final RMSNorm, tied or untied LM head. Rotary
 * models add no position embedding to the input, so `blocks.0.hook_resid_pre` is the token
 * embedding (for Gemma, the scaled one). `hook_attn_out` and `hook_mlp_out` are what the block
 * adds to the residual stream (for Gemma, after the post-norms).
 */
export class LlamaModel extends HookedModel implements TrainableTokenModel {
  readonly kind: string;
  readonly inputSpace = 'embeddings' as const;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly causal = true;
  protected readonly hookNames: string[];
  private readonly wte: HeldMatrix;
  private readonly blocks: LlamaBlock[] = [];
  /** Absent only when the checkpoint folder lacks it and the head is off (a depth-limited download): then no hook reads it. */
  private readonly norm?: tf.Tensor1D;
  private readonly lmHead: TransposedFrozenLinear;
  private readonly untiedHead: HeldMatrix | undefined;
  private readonly masks = new WindowedCausalMasks();
  private readonly globalFrequencies: Float64Array;
  private readonly localFrequencies: Float64Array | undefined;
  private readonly tensors: tf.Tensor[] = [];
  private readonly namedTensors = new Map<string, tf.Tensor>();
  /** Frozen weights held in row blocks (webgpu, over the device's binding limit), by HF name. */
  private readonly splitTensors = new Map<string, SplitMatrix>();
  private readonly ropeByLength = new Map<string, { cos: tf.Tensor2D; sin: tf.Tensor2D }>();
  private scaledEmbedding: HeldMatrix | undefined;

  constructor(
    params: ParamSource,
    readonly options: LlamaOptions,
  ) {
    super();
    const c = options.config;
    if (options.trainable && c.gemma) throw new InvalidInputError('gemma3_text cannot be built for training yet', 'E_INPUT');
    const host = (name: string): HostTensor => {
      const p: HostTensor | undefined = params.get(name);
      if (!p) throw new Error(`${c.family} parameter ${name} missing`);
      return p;
    };
    const t = (name: string): tf.Tensor => this.parameter(name, host(name));
    const matrix = (name: string): HeldMatrix => this.matrix(name, host(name));
    // Gemma scales by (1 + w): folded in once, here, so every norm is the same op.
    const normWeight = (name: string): tf.Tensor1D => {
      const w = t(name) as tf.Tensor1D;
      if (!c.gemma) return w;
      const shifted = tf.add(w, 1) as tf.Tensor1D;
      this.tensors.push(shifted);
      return shifted;
    };
    const linear = (name: string) => new TransposedFrozenLinear(matrix(`${name}.weight`));
    this.kind = c.family;
    this.wte = matrix('model.embed_tokens.weight');
    for (let i = 0; i < options.depth; i++) {
      const p = `model.layers.${i}`;
      this.blocks.push({
        inputNorm: normWeight(`${p}.input_layernorm.weight`),
        q: linear(`${p}.self_attn.q_proj`),
        k: linear(`${p}.self_attn.k_proj`),
        v: linear(`${p}.self_attn.v_proj`),
        ...(c.qkvBias ? { qBias: t(`${p}.self_attn.q_proj.bias`) as tf.Tensor1D, kBias: t(`${p}.self_attn.k_proj.bias`) as tf.Tensor1D, vBias: t(`${p}.self_attn.v_proj.bias`) as tf.Tensor1D } : {}),
        ...(c.qkNorm ? { qNorm: normWeight(`${p}.self_attn.q_norm.weight`), kNorm: normWeight(`${p}.self_attn.k_norm.weight`) } : {}),
        o: linear(`${p}.self_attn.o_proj`),
        postNorm: normWeight(`${p}.post_attention_layernorm.weight`),
        ...(c.gemma ? { preMlpNorm: normWeight(`${p}.pre_feedforward_layernorm.weight`), postMlpNorm: normWeight(`${p}.post_feedforward_layernorm.weight`) } : {}),
        gate: linear(`${p}.mlp.gate_proj`),
        up: linear(`${p}.mlp.up_proj`),
        down: linear(`${p}.mlp.down_proj`),
        window: c.gemma?.windows[i],
      });
    }
    this.norm = params.has('model.norm.weight') ? normWeight('model.norm.weight') : undefined;
    this.untiedHead = options.head && !c.tieWordEmbeddings ? matrix('lm_head.weight') : undefined;
    this.lmHead = new TransposedFrozenLinear(this.untiedHead ?? this.wte);
    this.globalFrequencies = inverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    this.localFrequencies = c.gemma ? inverseFrequencies(c.headDim, c.gemma.ropeLocalTheta) : undefined;
    this.hookNames = llamaHookNames(options.depth, options.head, options.finalNorm).filter((n) => this.norm || n !== 'ln_final.hook_normalized');
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    this.tokenizer = options.tokenizer;
  }

  /** A parameter as a tensor (frozen) or a tf.Variable (trainable), recorded under its HF name. */
  private parameter(name: string, p: HostTensor): tf.Tensor {
    if (this.options.trainable) checkTrainableFits(name, p.shape);
    const value = tf.tensor(p.data, p.shape);
    let made: tf.Tensor = value;
    if (this.options.trainable) {
      made = tf.variable(value, true);
      value.dispose();
    }
    this.tensors.push(made);
    this.namedTensors.set(name, made);
    return made;
  }

  /** A weight matrix [out, in]: frozen, it is held in row blocks where it is over the device's binding limit (webgpu). */
  private matrix(name: string, p: HostTensor): HeldMatrix {
    if (this.options.trainable) return this.parameter(name, p) as tf.Tensor2D;
    const m = frozenMatrix(p);
    if (m instanceof SplitMatrix) this.splitTensors.set(name, m);
    else {
      this.tensors.push(m);
      this.namedTensors.set(name, m);
    }
    return m;
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

  get trainable(): boolean {
    return this.options.trainable === true;
  }

  /** Every parameter under its Hugging Face name (`model.embed_tokens.weight`, …). Owned by the model. */
  namedParameters(): Map<string, tf.Tensor> {
    for (const [name, m] of this.splitTensors) wholeMatrix(m, name);
    return this.namedTensors;
  }

  get headInputHook(): string {
    const d = this.options.depth;
    return this.options.finalNorm ? 'ln_final.hook_normalized' : d === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${d - 1}.hook_resid_post`;
  }

  headMatrix(): tf.Tensor2D {
    return wholeMatrix(this.untiedHead ?? this.wte, this.untiedHead ? 'lm_head.weight' : 'W_E (model.embed_tokens.weight, the tied head)');
  }

  hfConfig(): Record<string, unknown> {
    return { ...this.options.hfConfig };
  }

  /**
   * The matrix whose rows are what `embed` puts in the residual stream: W_E, or for Gemma
   * W_E × √hidden. Decoders map `blocks.0.hook_resid_pre` back to tokens through it. Gemma's is
   * made on first use and kept.
   */
  tokenEmbeddingMatrix(): tf.Tensor2D {
    return wholeMatrix(this.wte instanceof SplitMatrix ? this.wte : this.tokenEmbeddingRows(), 'W_E (model.embed_tokens.weight)');
  }

  /** What tokenEmbeddingMatrix() gives, as held: in row blocks on webgpu when over the binding limit (see token-embedding-rows.ts). */
  tokenEmbeddingRows(): HeldMatrix {
    if (this.embeddingScale === 1) return this.wte;
    if (!this.scaledEmbedding) {
      const scale = this.embeddingScale;
      if (this.wte instanceof SplitMatrix) this.scaledEmbedding = this.wte.map((b) => tf.mul(b, scale) as tf.Tensor2D);
      else {
        this.scaledEmbedding = tf.mul(this.wte, scale) as tf.Tensor2D;
        this.tensors.push(this.scaledEmbedding);
      }
    }
    return this.scaledEmbedding;
  }

  /**
   * Gemma multiplies embeddings by √hidden. In float32, as everything here (Hugging Face in
   * BF16 would also round the scale and the product to BF16; the reference is the float32 model).
   */
  private get embeddingScale(): number {
    return this.options.config.gemma ? Math.sqrt(this.options.config.hidden) : 1;
  }

  /** Rotary models add no position embedding to their input: zeros. */
  positionEmbeddings(n: number): tf.Tensor2D {
    return tf.zeros([n, this.dModel]);
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    return tf.tidy(() => {
      const rows = gatherTokenRows(this.wte, tokenIds, this.maxPositions);
      return this.embeddingScale === 1 ? rows : (tf.mul(rows, this.embeddingScale) as tf.Tensor3D);
    });
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    const c = this.options.config;
    if (input.rank !== 3 || input.shape[2] !== c.hidden) throw new InvalidInputError(`${this.kind} expects embeddings [batch, tokens, ${c.hidden}], got [${input.shape.join(', ')}]`, 'E_INPUT');
    const n = input.shape[1]!;
    if (n > c.maxPositions) throw new InvalidInputError(`${this.kind}: ${n} tokens is more than the model's ${c.maxPositions} positions`, 'E_INPUT');
    let x = pass.point('blocks.0.hook_resid_pre', input);
    if (pass.done) return pass.result!;
    for (let i = 0; i < this.blocks.length; i++) {
      if (i > 0) x = pass.point(`blocks.${i}.hook_resid_pre`, x);
      x = this.block(i, x, pass, 0);
      if (pass.done) return pass.result!;
    }
    return this.finish(x, pass);
  }

  /** The final norm and head after the kept blocks, through their hook points. */
  private finish(x: tf.Tensor, pass: HookPass): tf.Tensor {
    if (this.norm && (this.options.finalNorm || !this.options.head)) {
      x = pass.point('ln_final.hook_normalized', rmsNorm(x, this.norm, this.options.config.rmsNormEps));
      if (pass.done) return pass.result!;
    }
    if (this.options.head) pass.point('logits', this.lmHead.apply(x));
    if (!pass.result) throw new Error('forward pass ended before its output hook');
    return pass.result;
  }

  /**
   * Block i on a residual stream [b, n, d] whose first position sits at `from`. With `from` = 0
   * it attends causally within the input (its window, on sliding layers); a cached sequential
   * search calls `attendCached` instead (see nextPositionStates).
   */
  private block(i: number, x: tf.Tensor, pass: HookPass, from: number, attendCached?: (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor3D): tf.Tensor {
    const c = this.options.config;
    const blk = this.blocks[i]!;
    const h = pass.point(`blocks.${i}.ln1.hook_normalized`, rmsNorm(x, blk.inputNorm, c.rmsNormEps));
    const { q, k, v } = this.queriesKeysValues(blk, h, from);
    let z: tf.Tensor3D;
    if (attendCached) z = attendCached(q, k, v);
    else {
      const attended = maskedAttention(q, this.expandKv(k), this.expandKv(v), this.attentionScale, this.masks.get(q.shape[2], blk.window));
      pass.point(`blocks.${i}.attn.hook_pattern`, attended.pattern);
      z = attended.z;
    }
    let attnOut = blk.o.apply(pass.point(`blocks.${i}.attn.hook_z`, z));
    if (blk.preMlpNorm) attnOut = rmsNorm(attnOut, blk.postNorm, c.rmsNormEps);
    x = pass.point(`blocks.${i}.hook_resid_mid`, tf.add(x, pass.point(`blocks.${i}.hook_attn_out`, attnOut)));
    const h2 = pass.point(`blocks.${i}.ln2.hook_normalized`, rmsNorm(x, blk.preMlpNorm ?? blk.postNorm, c.rmsNormEps));
    const gate = pass.point(`blocks.${i}.mlp.hook_pre`, blk.gate.apply(h2));
    const up = pass.point(`blocks.${i}.mlp.hook_pre_linear`, blk.up.apply(h2));
    const activated = c.gemma ? geluTanh(gate) : tf.mul(gate, tf.sigmoid(gate));
    const post = pass.point(`blocks.${i}.mlp.hook_post`, tf.mul(activated, up));
    let mlpOut = blk.down.apply(post);
    if (blk.postMlpNorm) mlpOut = rmsNorm(mlpOut, blk.postMlpNorm, c.rmsNormEps);
    return pass.point(`blocks.${i}.hook_resid_post`, tf.add(x, pass.point(`blocks.${i}.hook_mlp_out`, mlpOut)));
  }

  private get attentionScale(): number {
    const c = this.options.config;
    return c.gemma?.attentionScale ?? 1 / Math.sqrt(c.headDim);
  }

  /** Projections into heads [b, heads, n, headDim] (k, v: kvHeads), normed and rotated for positions from…from+n−1. */
  private queriesKeysValues(blk: LlamaBlock, h: tf.Tensor, from: number): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
    const c = this.options.config;
    const [b, n] = h.shape as [number, number, number];
    const heads = (t: tf.Tensor, count: number) => tf.transpose(tf.reshape(t, [b, n, count, c.headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
    const withBias = (y: tf.Tensor, bias?: tf.Tensor1D) => (bias ? tf.add(y, bias) : y);
    let q = heads(withBias(blk.q.apply(h), blk.qBias), c.heads);
    let k = heads(withBias(blk.k.apply(h), blk.kBias), c.kvHeads);
    const v = heads(withBias(blk.v.apply(h), blk.vBias), c.kvHeads);
    if (blk.qNorm) q = rmsNorm(q, blk.qNorm, c.rmsNormEps) as tf.Tensor4D;
    if (blk.kNorm) k = rmsNorm(k, blk.kNorm, c.rmsNormEps) as tf.Tensor4D;
    const { cos, sin } = this.rope(n, from, blk.window !== undefined);
    return { q: applyRope(q, cos, sin), k: applyRope(k, cos, sin), v };
  }

  /**
   * Grouped-query attention: query head h reads key/value head ⌊h / rep⌋, rep = heads / kvHeads.
   * A broadcast over a rank-3 view, not a gather: its gradient is a sum (tfjs-wasm has no
   * UnsortedSegmentSum, and tfjs has no tile gradient above rank 4).
   */
  private expandKv(t: tf.Tensor4D): tf.Tensor4D {
    const c = this.options.config;
    const rep = c.heads / c.kvHeads;
    if (rep === 1) return t;
    const [b, kv, n, dh] = t.shape;
    return tf.reshape(tf.broadcastTo(tf.reshape(t, [b * kv, 1, n * dh]), [b * kv, rep, n * dh]), [b, kv * rep, n, dh]);
  }

  /**
   * The output at the position after a fixed prefix, for batches of candidate inputs, the
   * prefix run once: its keys (rotated at their true positions) and values are cached per
   * block — on sliding-window layers only the window − 1 positions the next one can see.
   */
  nextPositionStates(prefix: tf.Tensor3D | undefined): NextPositionStates {
    const n = prefix?.shape[1] ?? 0;
    if (n === 0) return { states: (next) => tf.tidy(() => tf.reshape(this.forward(next), [next.shape[0], -1]) as tf.Tensor2D), dispose: () => {} };
    const past = tf.tidy(() => {
      const cached: { keys: tf.Tensor3D; values: tf.Tensor3D }[] = [];
      let x: tf.Tensor = prefix!;
      for (let i = 0; i < this.blocks.length; i++) {
        x = this.block(i, x, UNOBSERVED(), 0, (q, k, v) => {
          const window = this.blocks[i]!.window;
          const keep = window === undefined ? n : Math.min(n, window - 1);
          const tail = (t: tf.Tensor4D) => tf.squeeze(tf.slice(this.expandKv(t), [0, 0, n - keep, 0], [1, -1, keep, -1]), [0]) as tf.Tensor3D;
          cached.push({ keys: tail(k), values: tail(v) });
          return maskedAttention(q, this.expandKv(k), this.expandKv(v), this.attentionScale, this.masks.get(n, window)).z;
        });
      }
      return cached;
    });
    return {
      states: (next) =>
        tf.tidy(() => {
          const batch = next.shape[0];
          let x: tf.Tensor = next;
          for (let i = 0; i < this.blocks.length; i++) {
            const { keys, values } = past[i]!;
            x = this.block(i, x, UNOBSERVED(), n, (q, k, v) => {
              // [B, h, 1, dh] → [h, B, dh], the layout attendOnePosition shares the prefix in.
              const byHead = (t: tf.Tensor4D) => tf.transpose(tf.squeeze(t, [2]), [1, 0, 2]) as tf.Tensor3D;
              const [qh, kh, vh] = [byHead(q), byHead(this.expandKv(k)), byHead(this.expandKv(v))];
              const mixed = keys.shape[1] === 0 ? vh : attendOnePosition(qh, kh, vh, keys, values, this.attentionScale);
              return tf.reshape(tf.transpose(mixed, [1, 0, 2]), [batch, 1, -1]) as tf.Tensor3D;
            });
          }
          if (!this.options.head) return tf.reshape(x, [batch, -1]) as tf.Tensor2D;
          const normalized = this.options.finalNorm ? rmsNorm(x, this.norm!, this.options.config.rmsNormEps) : x;
          return tf.reshape(this.lmHead.apply(normalized), [batch, -1]) as tf.Tensor2D;
        }),
      dispose: () => tf.dispose(past.flatMap((p) => [p.keys, p.values])),
    };
  }

  /** cos/sin tables for `count` positions from `from`, kept per length (gradients read them after the forward). */
  private rope(count: number, from: number, local: boolean): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const key = `${count}@${from}${local ? 'L' : 'G'}`;
    let tables = this.ropeByLength.get(key);
    if (!tables) {
      const made = tf.tidy(() => ropeTables(local ? this.localFrequencies! : this.globalFrequencies, count, from));
      tables = { cos: tf.keep(made.cos), sin: tf.keep(made.sin) };
      this.ropeByLength.set(key, tables);
    }
    return tables;
  }

  parameterCount(): number {
    return [...this.namedTensors.values(), ...this.splitTensors.values()].reduce((a, t) => a + t.size, 0);
  }

  dispose(): void {
    tf.dispose(this.tensors);
    for (const m of this.splitTensors.values()) m.dispose();
    if (this.scaledEmbedding instanceof SplitMatrix) this.scaledEmbedding.dispose();
    for (const t of this.ropeByLength.values()) tf.dispose([t.cos, t.sin]);
    this.ropeByLength.clear();
    this.masks.dispose();
  }
}
