import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import { HookPass, hookPassFor } from '../hooks';
import { FrozenLinear, geluErf, TransposedFrozenLinear } from '../layers';
import { TokenEmbeddings } from '../token-embeddings';
import type { ForwardOptions, TokenModel } from '../types';

export interface MlpOptions {
  kind: 'fcnet' | 'mlp';
  /** fcnet: whole sequence flattened (n·d → h → out); mlp: per token (d → h → d). */
  flatten: boolean;
  /** fcnet: the sequence length the flattened input was built for. */
  sequenceLength?: number;
  head: boolean;
  description: string;
  embeddingId: string;
}

const HOOKS = ['hook_input', 'mlp.hook_pre', 'mlp.hook_post', 'hook_output'];

/**
 * The seed's MLPs on GPT-2 embeddings: two linear layers with exact GELU between them
 * (PyTorch nn.GELU). With `head`, the output is read as [n, d] and mapped to logits through
 * the tied token-embedding matrix, as the seed's untrained FCNet did.
 */
export class MlpModel implements TokenModel {
  readonly inputSpace = 'embeddings' as const;
  readonly kind: string;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  private readonly hookNames: string[];
  private lmHead: TransposedFrozenLinear | undefined;

  constructor(
    private readonly embeddings: TokenEmbeddings,
    private readonly fc1: FrozenLinear,
    private readonly fc2: FrozenLinear,
    readonly options: MlpOptions,
  ) {
    this.kind = options.kind;
    this.hookNames = options.head ? [...HOOKS, 'logits'] : HOOKS;
    this.outputHook = options.head ? 'logits' : 'hook_output';
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    const d = embeddings.dModel;
    if (options.head && fc2.outDim !== (options.flatten ? (options.sequenceLength ?? 0) * d : d)) {
      throw new InvalidInputError(`model.head: the output (${fc2.outDim} values) must be n·d = ${(options.sequenceLength ?? 0) * d} to be read as tokens; use a non-invertible output`, 'E_CONFIG_MODEL');
    }
  }

  get vocabSize(): number {
    return this.embeddings.vocabSize;
  }
  get maxPositions(): number {
    return this.options.flatten ? this.options.sequenceLength! : this.embeddings.maxPositions;
  }
  get dModel(): number {
    return this.embeddings.dModel;
  }

  hookPoints(): string[] {
    return this.hookNames;
  }
  tokenEmbeddingMatrix(): tf.Tensor2D {
    return this.embeddings.wte;
  }
  positionEmbeddings(n: number): tf.Tensor2D {
    return this.embeddings.positions(n);
  }
  embed(tokenIds: number[][]): tf.Tensor3D {
    return this.embeddings.embed(tokenIds);
  }

  forward(input: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    return this.run(input, hookPassFor(this.kind, this.hookNames, this.outputHook, options));
  }

  runWithCache(input: tf.Tensor, names: string[]): { output: tf.Tensor; cache: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const pass = hookPassFor(this.kind, this.hookNames, this.outputHook, {}, names);
      return { output: this.run(input, pass), cache: pass.cache };
    });
  }

  private run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    const d = this.dModel;
    if (input.rank !== 3 || input.shape[2] !== d) throw new InvalidInputError(`${this.kind} expects embeddings [batch, tokens, ${d}], got [${input.shape.join(', ')}]`, 'E_INPUT');
    const [b, n] = input.shape as [number, number, number];
    if (this.options.flatten && n !== this.options.sequenceLength) {
      throw new InvalidInputError(`${this.kind} was built for ${this.options.sequenceLength} tokens (model.sequenceLength) but the input has ${n}`, 'E_INPUT');
    }
    const x = pass.point('hook_input', input);
    const flat = this.options.flatten ? tf.reshape(x, [b, n * d]) : x;
    const pre = pass.point('mlp.hook_pre', this.fc1.apply(flat));
    const post = pass.point('mlp.hook_post', geluErf(pre));
    const out = pass.point('hook_output', this.fc2.apply(post));
    if (pass.done) return pass.result!;
    this.lmHead ??= new TransposedFrozenLinear(this.embeddings.wte);
    pass.point('logits', this.lmHead.apply(tf.reshape(out, [b, n, d])));
    return pass.result!;
  }

  parameterCount(): number {
    return this.embeddings.parameterCount() + [this.fc1, this.fc2].reduce((a, l) => a + l.weight.size + (l.bias?.size ?? 0), 0);
  }

  dispose(): void {
    this.fc1.dispose();
    this.fc2.dispose();
    this.embeddings.dispose();
  }
}
