import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import type { HookPass } from '../hooks';
import { HookedTokenModel } from '../hooked-model';
import { FrozenLinear, geluErf, TransposedFrozenLinear } from '../layers';
import { TokenEmbeddings } from '../token-embeddings';
import type { NextPositionStates, TokenModel } from '../types';

export interface MlpOptions {
  kind: 'fcnet' | 'mlp';
  /** fcnet: whole sequence flattened (n·d → h → out); mlp: per token (d → h → d). */
  flatten: boolean;
  /** fcnet: the sequence length the flattened input was built for. */
  sequenceLength?: number;
  head: boolean;
  description: string;
  embeddingId: string;
  /** The tokenizer of the model's vocabulary (undefined for a custom one). */
  tokenizer?: Tokenizer;
}

const HOOKS = ['hook_input', 'mlp.hook_pre', 'mlp.hook_post', 'hook_output'];

/**
 * The seed's MLPs on GPT-2 embeddings: two linear layers with exact GELU between them
 * (PyTorch nn.GELU). With `head`, the output is read as [n, d] and mapped to logits through
 * the tied token-embedding matrix, as the seed's untrained FCNet did.
 */
export class MlpModel extends HookedTokenModel implements TokenModel {
  readonly kind: string;
  readonly outputHook: string;
  readonly description: string;
  readonly embeddingId: string;
  readonly tokenizer: Tokenizer | undefined;
  readonly causal: boolean;
  protected readonly hookNames: string[];
  private lmHead: TransposedFrozenLinear | undefined;

  constructor(
    protected readonly embeddings: TokenEmbeddings,
    private readonly fc1: FrozenLinear,
    private readonly fc2: FrozenLinear,
    readonly options: MlpOptions,
  ) {
    super();
    this.kind = options.kind;
    this.hookNames = options.head ? [...HOOKS, 'logits'] : HOOKS;
    this.outputHook = options.head ? 'logits' : 'hook_output';
    this.description = options.description;
    this.embeddingId = options.embeddingId;
    this.tokenizer = options.tokenizer;
    // Per token (mlp) each position sees only itself; flattened (fcnet) every position sees all.
    this.causal = !options.flatten;
    const d = embeddings.dModel;
    if (options.head && fc2.outDim !== (options.flatten ? (options.sequenceLength ?? 0) * d : d)) {
      throw new InvalidInputError(`model.head: the output (${fc2.outDim} values) must be n·d = ${(options.sequenceLength ?? 0) * d} to be read as tokens; use a non-invertible output`, 'E_CONFIG_MODEL');
    }
  }

  override get maxPositions(): number {
    return this.options.flatten ? this.options.sequenceLength! : this.embeddings.maxPositions;
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
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

  /** The per-token MLP is causal trivially (each position sees only itself); fcnet is not. */
  get nextPositionStates(): ((prefix: tf.Tensor3D | undefined) => NextPositionStates) | undefined {
    if (this.options.flatten) return undefined;
    return () => ({
      states: (next: tf.Tensor3D) => tf.tidy(() => tf.reshape(this.forward(next), [next.shape[0], -1]) as tf.Tensor2D),
      dispose: () => undefined,
    });
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
