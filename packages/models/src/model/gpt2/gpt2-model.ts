import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import type { HookPass } from '../hooks';
import { HookedTokenModel } from '../hooked-model';
import { CausalMasks, FrozenLinear, geluTanh, LayerNorm, TransposedFrozenLinear } from '../layers';
import { blockHookNames, blockParameterCount, disposeBlocks, runBlocks, TransformerBlock } from '../transformer-block';
import type { NextPositionStates, TrainableTokenModel } from '../types';
import { disposePast, prefixKeyValues, runBlocksAfterPrefix } from '../prefix-cache';
import { Gpt2Config, hfGpt2Config } from './config';
import type { HostTensor, ParamSource } from '../param-source';
import { PositionIds, TokenEmbeddings } from '../token-embeddings';
import { checkTrainableFits, frozenMatrix, HeldMatrix, SplitMatrix, wholeMatrix } from '../split-matrix';

export type { PositionIds };

export interface Gpt2Options {
  config: Gpt2Config;
  /** Blocks kept (the seed's truncation O_l); 0…nLayer. */
  depth: number;
  /** Apply the LM head after the kept blocks. */
  head: boolean;
  /**
   * Apply the final layer norm ln_f before the head (HF's GPT2LMHeadModel). The seed's
   * AbbreviatedGPT applies lm_head straight to the block output: finalNorm false.
   */
  finalNorm: boolean;
  /** `zeros` reproduces the seed code's quirk of adding wpe[0] at every position. */
  positionIds: PositionIds;
  description: string;
  embeddingId: string;
  /** The tokenizer of the model's vocabulary (undefined for a custom one). */
  tokenizer?: Tokenizer;
  /** Hold parameters as trainable tf.Variables (plugin-train); default frozen tensors. */
  trainable?: boolean;
  /** The checkpoint's untied head was not fetched (a depth-limited download): no logits hook. */
  lmHeadNotFetched?: boolean;
}

/** GPT-2 (pre-LN, causal, gelu_new, tied head) as a function of its input embeddings. */
export class Gpt2Model extends HookedTokenModel implements TrainableTokenModel {
  readonly kind: string = 'gpt2';
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly causal = true;
  protected readonly embeddings: TokenEmbeddings;
  private readonly blocks: TransformerBlock[];
  /** Absent only when the checkpoint folder lacks ln_f and the head is off (a depth-limited download): then no hook reads it. */
  private readonly lnFinal?: LayerNorm;
  private lmHead: TransposedFrozenLinear | undefined;
  private readonly untiedHead: HeldMatrix | undefined;
  protected readonly hookNames: string[];
  private readonly masks = new CausalMasks();

  constructor(
    params: ParamSource,
    readonly options: Gpt2Options,
    lmHead?: HostTensor,
  ) {
    super();
    const c = options.config;
    const host = (name: string): HostTensor => {
      const p = params.get(name);
      if (!p) throw new Error(`GPT-2 parameter ${name} missing`);
      return p;
    };
    const t = (name: string): tf.Tensor => this.parameter(name, host(name));
    const ln = (prefix: string) => new LayerNorm(t(`${prefix}.weight`) as tf.Tensor1D, t(`${prefix}.bias`) as tf.Tensor1D, c.layerNormEpsilon);
    this.embeddings = new TokenEmbeddings(this.matrix('wte.weight', host('wte.weight')), t('wpe.weight') as tf.Tensor2D, options.positionIds);
    this.blocks = gpt2Blocks(params, options.depth, c.layerNormEpsilon, (name, p) => this.parameter(name, p));
    this.lnFinal = params.has('ln_f.weight') ? ln('ln_f') : undefined;
    this.untiedHead = lmHead ? this.matrix('lm_head.weight', lmHead) : undefined;
    const logits = !options.lmHeadNotFetched && (this.lnFinal !== undefined || !options.finalNorm);
    this.hookNames = gpt2HookNames(options.depth, true, options.finalNorm).filter((n) => (n !== 'ln_final.hook_normalized' || this.lnFinal) && (n !== 'logits' || logits));
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    this.tokenizer = options.tokenizer;
  }

  private readonly namedTensors = new Map<string, tf.Tensor>();
  /** Frozen weights held in row blocks (webgpu, over the device's binding limit), by HF name. */
  private readonly splitTensors = new Map<string, SplitMatrix>();

  /** A parameter as a tensor (frozen) or a tf.Variable (trainable), recorded under its HF name. */
  private parameter(name: string, p: HostTensor): tf.Tensor {
    if (this.options.trainable) checkTrainableFits(name, p.shape);
    const value = tf.tensor(p.data, p.shape);
    let made: tf.Tensor = value;
    if (this.options.trainable) {
      made = tf.variable(value, true);
      value.dispose();
    }
    this.namedTensors.set(name, made);
    return made;
  }

  /** W_E or an untied head: frozen, it is held in row blocks where it is over the device's binding limit (webgpu). */
  private matrix(name: string, p: HostTensor): HeldMatrix {
    if (this.options.trainable) return this.parameter(name, p) as tf.Tensor2D;
    const m = frozenMatrix(p);
    if (m instanceof SplitMatrix) this.splitTensors.set(name, m);
    else this.namedTensors.set(name, m);
    return m;
  }

  /** Every parameter under its Hugging Face name (`wte.weight`, `h.0.attn.c_attn.weight`, …). Owned by the model. */
  namedParameters(): Map<string, tf.Tensor> {
    for (const [name, m] of this.splitTensors) wholeMatrix(m, name);
    return this.namedTensors;
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    if (input.rank !== 3 || input.shape[2] !== this.dModel) {
      throw new InvalidInputError(`${this.kind} expects embeddings [batch, tokens, ${this.dModel}], got [${input.shape.join(', ')}]`, 'E_INPUT');
    }
    this.embeddings.checkLength(input.shape[1]!);
    const x = runBlocks(input, this.blocks, pass, { heads: this.options.config.nHead, causal: this.masks, activation: geluTanh });
    if (!x) return pass.result!;
    const normalized = this.options.finalNorm ? pass.point('ln_final.hook_normalized', this.lnFinal!.apply(x)) : x;
    if (pass.done) return pass.result!;
    pass.point('logits', this.head().apply(normalized));
    if (!pass.result) throw new Error('forward pass ended before its output hook');
    return pass.result;
  }

  nextPositionStates(prefix: tf.Tensor3D | undefined): NextPositionStates {
    const heads = this.options.config.nHead;
    const past = prefix && prefix.shape[1] > 0 ? prefixKeyValues(prefix, this.blocks, heads, geluTanh) : undefined;
    return {
      states: (next) =>
        tf.tidy(() => {
          const batch = next.shape[0];
          if (!past) return tf.reshape(this.forward(next), [batch, -1]) as tf.Tensor2D;
          const x = runBlocksAfterPrefix(next, this.blocks, past, heads, geluTanh);
          if (!this.options.head) return tf.reshape(x, [batch, -1]) as tf.Tensor2D;
          const normalized = this.options.finalNorm ? this.lnFinal!.apply(x) : x;
          return tf.reshape(this.head().apply(normalized), [batch, -1]) as tf.Tensor2D;
        }),
      dispose: () => {
        if (past) disposePast(past);
      },
    };
  }

  /**
   * The hook point the LM head reads (ln_f's output, or the last block's without ln_f) and the
   * head matrix [V, d] — W_E itself when tied. For a loss that applies the head in pieces
   * (plugin-train's chunked cross-entropy) instead of materialising [tokens, V] logits.
   */
  get headInputHook(): string {
    const d = this.options.depth;
    return this.options.finalNorm ? 'ln_final.hook_normalized' : d === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${d - 1}.hook_resid_post`;
  }

  get trainable(): boolean {
    return this.options.trainable === true;
  }

  hfConfig(): Record<string, unknown> {
    return hfGpt2Config(this.options.config, this.untiedHead === undefined);
  }

  headMatrix(): tf.Tensor2D {
    return wholeMatrix(this.untiedHead ?? this.embeddings.wte, this.untiedHead ? 'lm_head.weight' : 'W_E (wte.weight, the tied head)');
  }

  private head(): TransposedFrozenLinear {
    this.lmHead ??= new TransposedFrozenLinear(this.untiedHead ?? this.embeddings.wte);
    return this.lmHead;
  }

  parameterCount(): number {
    return this.embeddings.parameterCount() + (this.lnFinal?.gamma.size ?? 0) * 2 + (this.untiedHead?.size ?? 0) + blockParameterCount(this.blocks);
  }

  dispose(): void {
    disposeBlocks(this.blocks);
    this.lnFinal?.dispose();
    this.untiedHead?.dispose();
    this.embeddings.dispose();
    this.masks.dispose();
  }
}

/** TransformerLens hook names of a GPT-2 with `blocks` blocks, in forward order. */
export function gpt2HookNames(blocks: number, head: boolean, finalNorm = true): string[] {
  if (!head) return blockHookNames(blocks);
  return [...blockHookNames(blocks), ...(finalNorm ? ['ln_final.hook_normalized'] : []), 'logits'];
}

/** GPT-2 blocks 0…count−1 from HF parameters (Conv1D weights are already [in, out]). */
export function gpt2Blocks(params: ParamSource, count: number, eps: number, make = (_name: string, p: HostTensor): tf.Tensor => tf.tensor(p.data, p.shape)): TransformerBlock[] {
  const t = (name: string): tf.Tensor => {
    const p = params.get(name);
    if (!p) throw new Error(`GPT-2 parameter ${name} missing`);
    return make(name, p);
  };
  const ln = (prefix: string) => new LayerNorm(t(`${prefix}.weight`) as tf.Tensor1D, t(`${prefix}.bias`) as tf.Tensor1D, eps);
  const linear = (prefix: string) => new FrozenLinear(t(`${prefix}.weight`) as tf.Tensor2D, t(`${prefix}.bias`) as tf.Tensor1D);
  return Array.from({ length: count }, (_, i) => ({
    ln1: ln(`h.${i}.ln_1`),
    qkv: linear(`h.${i}.attn.c_attn`),
    attnOut: linear(`h.${i}.attn.c_proj`),
    ln2: ln(`h.${i}.ln_2`),
    fc: linear(`h.${i}.mlp.c_fc`),
    mlpOut: linear(`h.${i}.mlp.c_proj`),
  }));
}
