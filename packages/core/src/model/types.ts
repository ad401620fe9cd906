import type * as tf from '@tensorflow/tfjs';
import type { JsonSchema } from '../config/validate';
import type { Rng } from '../util/rng';

/**
 * What a model's forward pass takes.
 * - `embeddings`: the residual stream entering block 0 (`blocks.0.hook_resid_pre`), i.e. token
 *   embedding plus position embedding, [batch, tokens, dModel] — what the seed optimises.
 * - `image`: preprocessed pixels, NHWC [batch, height, width, channels].
 */
export type InputSpace = 'embeddings' | 'image';

/** Called with a hook point's value; may return a replacement (activation patching). */
export type HookFn = (value: tf.Tensor, name: string) => tf.Tensor | void;

export interface ForwardOptions {
  /** Hook point whose value to return; default is the model's configured output O_l. */
  output?: string;
  /** Functions run at named hook points, in the forward pass. */
  hooks?: Record<string, HookFn>;
}

/**
 * A frozen network seen as a function of its input. Parameters are plain tensors, never
 * trainable variables, so gradients flow only to the input being optimised.
 */
export interface Model {
  readonly kind: string;
  /** One line for logs and reports, e.g. "gpt2 small, untrained (seed 0), 1 block, no head". */
  readonly description: string;
  readonly inputSpace: InputSpace;
  /** Name of the hook point forward() returns by default (the seed's O_l). */
  readonly outputHook: string;
  /** Every hook point, in forward order. */
  hookPoints(): string[];
  /** Differentiable forward pass of a batch in `inputSpace`. */
  forward(input: tf.Tensor, options?: ForwardOptions): tf.Tensor;
  /** Forward pass that also keeps the named hook points. The caller owns (and disposes) the tensors. */
  runWithCache(input: tf.Tensor, names: string[]): { output: tf.Tensor; cache: Record<string, tf.Tensor> };
  /** Number of scalar parameters (for reports). */
  parameterCount(): number;
  dispose(): void;
}

/** A language model over a token vocabulary (GPT-2 and the seed's MLPs on GPT-2 embeddings). */
export interface TokenModel extends Model {
  readonly inputSpace: 'embeddings';
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly dModel: number;
  /** W_E, [vocab, dModel]. Owned by the model. */
  tokenEmbeddingMatrix(): tf.Tensor2D;
  /** Position embeddings for positions 0…n−1, [n, dModel] (zeros for models without them). Caller disposes. */
  positionEmbeddings(n: number): tf.Tensor2D;
  /** Token ids → `embeddings` input (token + position), [batch, n, dModel]. Caller disposes. */
  embed(tokenIds: number[][]): tf.Tensor3D;
  /** Vocabulary identity: models sharing it share decoder caches (e.g. W⁺). */
  readonly embeddingId: string;
  /**
   * Causal models only: the output at the position after a fixed prefix, for batches of
   * candidate next inputs, with the prefix computed once (its keys and values cached).
   * Absent for models whose output at a position depends on later positions (fcnet).
   */
  nextPositionStates?(prefix: tf.Tensor3D | undefined): NextPositionStates;
}

export interface NextPositionStates {
  /** Candidate inputs [B, 1, dModel] (token + position embedding) → outputs [B, outputWidth]; differentiable in `next`. */
  states(next: tf.Tensor3D): tf.Tensor2D;
  dispose(): void;
}

/** A vision model over images. */
export interface ImageModel extends Model {
  readonly inputSpace: 'image';
  readonly imageSize: number;
  readonly channels: number;
  readonly patchSize: number;
  /** Tokens per image in the residual stream (patches, plus CLS if the model has one). */
  readonly sequenceLength: number;
  /** [0,1] RGB NHWC → the model's pixel input (HF normalisation). Caller disposes. */
  preprocess(rgb01: tf.Tensor4D): tf.Tensor4D;
}

export function isTokenModel(m: Model): m is TokenModel {
  return m.inputSpace === 'embeddings' && typeof (m as TokenModel).embed === 'function';
}

export function isImageModel(m: Model): m is ImageModel {
  return m.inputSpace === 'image';
}

/** The `model:` block of a config, after validation against its kind's schema. */
export interface ModelSpec {
  kind: string;
  [key: string]: unknown;
}

export interface ModelBuildDeps {
  /** The experiment seed (untrained weights derive from it unless the block sets `seed`). */
  seed: number;
  rng: Rng;
  log: (line: string) => void;
}

/**
 * What is known about a model before it is built: from its options and, for a checkpoint,
 * its config.json and safetensors headers (never its tensors). Plugins check their options
 * against it before a run starts (Plugin.check).
 */
export interface ModelShape {
  kind: string;
  inputSpace: InputSpace;
  /** Width of the residual stream. */
  dModel: number;
  /** Blocks kept (`depth`) and blocks the architecture has; 0 for models without blocks. */
  depth: number;
  layers: number;
  /** Token models: vocabulary size and the longest input in tokens. */
  vocabSize?: number;
  maxPositions?: number;
  /** Image models: square input side, channels, patch side, tokens per image. */
  imageSize?: number;
  channels?: number;
  patchSize?: number;
  sequenceLength?: number;
  /** Scalar parameters and the bytes building the model takes (see model/limits.ts). */
  parameterCount: number;
  parameterBytes: number;
}

/** A registered model kind: its options schema and how to build one. */
export interface ModelKind<O extends ModelSpec = ModelSpec> {
  kind: string;
  description: string;
  inputSpace: InputSpace;
  /** JSON schema of the model block's keys other than `kind`. */
  optionsSchema: JsonSchema;
  /**
   * Check a schema-valid block as far as possible without building it — architecture
   * consistency, depth, the checkpoint's files, config.json and tensor names/shapes (headers
   * only), memory — and return its shape. Throws ModelCheckError naming the key at fault.
   * Run by `validate`, `run` and `sweep` before anything is created; optional for kinds
   * registered by plugins (they are then checked only against their schema).
   */
  resolve?(options: O): ModelShape;
  create(options: O, deps: ModelBuildDeps): Promise<Model>;
}
