import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import { HookPass, hookPassFor } from '../hooks';
import { attention, FrozenLinear, geluTanh, LayerNorm, splitHeads } from '../layers';
import type { ForwardOptions, TokenModel } from '../types';
import type { Gpt2Config } from './config';
import type { HostTensor } from './params';

export type PositionIds = 'sequential' | 'zeros';

export interface Gpt2Options {
  config: Gpt2Config;
  /** Blocks kept (the seed's truncation O_l); 0…nLayer. */
  depth: number;
  /** Apply the final layer norm and LM head after the kept blocks. */
  head: boolean;
  /** `zeros` reproduces the seed code's quirk of adding wpe[0] at every position. */
  positionIds: PositionIds;
  description: string;
  embeddingId: string;
}

interface Block {
  ln1: LayerNorm;
  qkv: FrozenLinear;
  attnOut: FrozenLinear;
  ln2: LayerNorm;
  fc: FrozenLinear;
  mlpOut: FrozenLinear;
}

/** GPT-2 (pre-LN, causal, gelu_new, tied head) as a function of its input embeddings. */
export class Gpt2Model implements TokenModel {
  readonly kind: string = 'gpt2';
  readonly inputSpace = 'embeddings' as const;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly dModel: number;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  private readonly wte: tf.Tensor2D;
  private wteT: tf.Tensor2D | undefined;
  private readonly wpe: tf.Tensor2D;
  private readonly blocks: Block[];
  private readonly lnFinal: LayerNorm;
  private lmHead: FrozenLinear | undefined;
  private readonly untiedHead: tf.Tensor2D | undefined;
  private readonly hookNames: string[];

  constructor(
    params: Map<string, HostTensor>,
    readonly options: Gpt2Options,
    lmHead?: HostTensor,
  ) {
    const c = options.config;
    const t = (name: string): tf.Tensor => {
      const p = params.get(name);
      if (!p) throw new Error(`GPT-2 parameter ${name} missing`);
      return tf.tensor(p.data, p.shape);
    };
    const ln = (prefix: string) => new LayerNorm(t(`${prefix}.weight`) as tf.Tensor1D, t(`${prefix}.bias`) as tf.Tensor1D, c.layerNormEpsilon);
    const linear = (prefix: string) => new FrozenLinear(t(`${prefix}.weight`) as tf.Tensor2D, t(`${prefix}.bias`) as tf.Tensor1D);
    this.vocabSize = c.vocabSize;
    this.maxPositions = c.nPositions;
    this.dModel = c.nEmbd;
    this.wte = t('wte.weight') as tf.Tensor2D;
    this.wpe = t('wpe.weight') as tf.Tensor2D;
    this.blocks = Array.from({ length: options.depth }, (_, i) => ({
      ln1: ln(`h.${i}.ln_1`),
      qkv: linear(`h.${i}.attn.c_attn`),
      attnOut: linear(`h.${i}.attn.c_proj`),
      ln2: ln(`h.${i}.ln_2`),
      fc: linear(`h.${i}.mlp.c_fc`),
      mlpOut: linear(`h.${i}.mlp.c_proj`),
    }));
    this.lnFinal = ln('ln_f');
    this.untiedHead = lmHead ? tf.tensor2d(lmHead.data, lmHead.shape as [number, number]) : undefined;
    this.hookNames = gpt2HookNames(options.depth, true);
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
    this.embeddingId = options.embeddingId;
  }

  hookPoints(): string[] {
    return this.hookNames;
  }

  tokenEmbeddingMatrix(): tf.Tensor2D {
    return this.wte;
  }

  /** W_Eᵀ [d, V], made once: the tied LM head and the decoders use it. */
  tokenEmbeddingTransposed(): tf.Tensor2D {
    if (!this.wteT) this.wteT = tf.keep(tf.transpose(this.wte));
    return this.wteT;
  }

  positionEmbeddings(n: number): tf.Tensor2D {
    this.checkLength(n);
    return tf.tidy(() => (this.options.positionIds === 'zeros' ? tf.tile(tf.slice(this.wpe, [0, 0], [1, -1]), [n, 1]) : tf.slice(this.wpe, [0, 0], [n, -1])));
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    const n = tokenIds[0]?.length ?? 0;
    for (const row of tokenIds) {
      if (row.length !== n) throw new InvalidInputError('all token sequences in a batch must have the same length', 'E_INPUT');
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new InvalidInputError(`token id ${id} is outside the vocabulary (0…${this.vocabSize - 1})`, 'E_INPUT');
      }
    }
    return tf.tidy(() => {
      const ids = tf.tensor2d(tokenIds, [tokenIds.length, n], 'int32');
      return tf.add(tf.gather(this.wte, ids), this.positionEmbeddings(n)) as tf.Tensor3D;
    });
  }

  private checkLength(n: number): void {
    if (n > this.maxPositions) throw new InvalidInputError(`input has ${n} tokens but the model has ${this.maxPositions} positions`, 'E_INPUT');
  }

  forward(input: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    const pass = hookPassFor(this.kind, this.hookNames, this.outputHook, options);
    return this.run(input, pass);
  }

  runWithCache(input: tf.Tensor, names: string[]): { output: tf.Tensor; cache: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const pass = hookPassFor(this.kind, this.hookNames, this.outputHook, {}, names);
      const output = this.run(input, pass);
      return { output, cache: pass.cache };
    });
  }

  private run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    if (input.rank !== 3 || input.shape[2] !== this.dModel) {
      throw new InvalidInputError(`${this.kind} expects embeddings [batch, tokens, ${this.dModel}], got [${input.shape.join(', ')}]`, 'E_INPUT');
    }
    this.checkLength(input.shape[1]!);
    const heads = this.options.config.nHead;
    let x = pass.point('blocks.0.hook_resid_pre', input);
    if (pass.done) return pass.result!;
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[i]!;
      if (i > 0) x = pass.point(`blocks.${i}.hook_resid_pre`, x);
      const h = pass.point(`blocks.${i}.ln1.hook_normalized`, b.ln1.apply(x));
      const [q, k, v] = tf.split(b.qkv.apply(h), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const { pattern, z } = attention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), true);
      pass.point(`blocks.${i}.attn.hook_pattern`, pattern);
      const attnOut = pass.point(`blocks.${i}.hook_attn_out`, b.attnOut.apply(pass.point(`blocks.${i}.attn.hook_z`, z)));
      x = pass.point(`blocks.${i}.hook_resid_mid`, tf.add(x, attnOut));
      const h2 = pass.point(`blocks.${i}.ln2.hook_normalized`, b.ln2.apply(x));
      const pre = pass.point(`blocks.${i}.mlp.hook_pre`, b.fc.apply(h2));
      const post = pass.point(`blocks.${i}.mlp.hook_post`, geluTanh(pre));
      const mlpOut = pass.point(`blocks.${i}.hook_mlp_out`, b.mlpOut.apply(post));
      x = pass.point(`blocks.${i}.hook_resid_post`, tf.add(x, mlpOut));
      if (pass.done) return pass.result!;
    }
    const normalized = pass.point('ln_final.hook_normalized', this.lnFinal.apply(x));
    if (pass.done) return pass.result!;
    pass.point('logits', this.head().apply(normalized));
    if (!pass.result) throw new Error('forward pass ended before its output hook');
    return pass.result;
  }

  private head(): FrozenLinear {
    if (!this.lmHead) {
      this.lmHead = this.untiedHead
        ? new FrozenLinear(tf.keep(tf.transpose(this.untiedHead)), undefined, this.untiedHead)
        : new FrozenLinear(this.tokenEmbeddingTransposed(), undefined, this.wte);
    }
    return this.lmHead;
  }

  parameterCount(): number {
    const sizes = [this.wte.size, this.wpe.size, this.lnFinal.gamma.size * 2, this.untiedHead?.size ?? 0];
    for (const b of this.blocks) for (const l of [b.qkv, b.attnOut, b.fc, b.mlpOut]) sizes.push(l.weight.size + (l.bias?.size ?? 0));
    for (const b of this.blocks) sizes.push(b.ln1.gamma.size * 2, b.ln2.gamma.size * 2);
    return sizes.reduce((a, s) => a + s, 0);
  }

  dispose(): void {
    for (const b of this.blocks) for (const part of Object.values(b)) part.dispose();
    this.lnFinal.dispose();
    this.wpe.dispose();
    if (this.lmHead && this.untiedHead) this.lmHead.weight.dispose();
    this.untiedHead?.dispose();
    this.wteT?.dispose();
    this.wte.dispose();
  }
}

/** TransformerLens hook names of a GPT-2 with `blocks` blocks, in forward order. */
export function gpt2HookNames(blocks: number, head: boolean): string[] {
  const names = ['blocks.0.hook_resid_pre'];
  for (let i = 0; i < blocks; i++) {
    if (i > 0) names.push(`blocks.${i}.hook_resid_pre`);
    names.push(
      `blocks.${i}.ln1.hook_normalized`,
      `blocks.${i}.attn.hook_pattern`,
      `blocks.${i}.attn.hook_z`,
      `blocks.${i}.hook_attn_out`,
      `blocks.${i}.hook_resid_mid`,
      `blocks.${i}.ln2.hook_normalized`,
      `blocks.${i}.mlp.hook_pre`,
      `blocks.${i}.mlp.hook_post`,
      `blocks.${i}.hook_mlp_out`,
      `blocks.${i}.hook_resid_post`,
    );
  }
  if (head) names.push('ln_final.hook_normalized', 'logits');
  return names;
}
