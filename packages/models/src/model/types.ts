import type * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../tokenizer/gpt2-tokenizer';
import type { JsonSchema } from '../util/json-schema';
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
 * A network seen as a function of its input. Built for study (the default), its parameters
 * are plain tensors, so gradients flow only to the input being optimised; built with
 * `{ trainable: true }` (kinds that support it), they are `tf.Variable`s an optimizer updates.
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
   * The tokenizer of this model's vocabulary (encode, decode, token strings, special tokens);
   * undefined when the vocabulary is not one a known tokenizer covers (ids then show as #id).
   */
  readonly tokenizer: Tokenizer | undefined;
  /**
   * A position's output depends only on it and earlier positions (GPT-2, the per-token MLP);
   * false where positions mix (fcnet). Methods that recover a sequence left to right need it.
   */
  readonly causal?: boolean;
  /**
   * Causal models only: the output at the position after a fixed prefix, for batches of
   * candidate next inputs, with the prefix computed once (its keys and values cached).
   * Absent for models whose output at a position depends on later positions (fcnet).
   */
  nextPositionStates?(prefix: tf.Tensor3D | undefined): NextPositionStates;
}

/**
 * A token model built with `{ trainable: true }` (kinds whose `trainable` is true): its
 * parameters are variables an optimizer updates, and its LM head is exposed so a loss can
 * fuse head and cross-entropy instead of materialising the logits.
 */
export interface TrainableTokenModel extends TokenModel {
  readonly trainable: boolean;
  /** Parameters by their Hugging Face names (what a checkpoint saves): `tf.Variable`s when trainable. */
  namedParameters(): Map<string, tf.Tensor>;
  /** The hook point whose value the LM head reads (after the final norm). */
  readonly headInputHook: string;
  /** The LM head's matrix [vocab, dModel] (W_E when the head is tied). */
  headMatrix(): tf.Tensor2D;
  /** config.json for a checkpoint of this model, in its Hugging Face layout. */
  hfConfig(): Record<string, unknown>;
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

/** Models built for training (see TrainableTokenModel). */
export function isTrainableTokenModel(m: Model): m is TrainableTokenModel {
  const t = m as Partial<TrainableTokenModel>;
  return isTokenModel(m) && t.trainable === true && typeof t.namedParameters === 'function' && typeof t.headMatrix === 'function' && typeof t.hfConfig === 'function';
}

/** Causal token models: a position's output depends on it and earlier positions only (a model with prefix caching is). */
export function isCausal(m: Model): m is TokenModel {
  return isTokenModel(m) && (m.causal === true || typeof m.nextPositionStates === 'function');
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
  /** Token models: the vocabulary's tokenizer, when one is known (see TokenModel.tokenizer). */
  tokenizer?: Tokenizer;
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

/** How to build: for study (frozen, the default) or for training. */
export interface ModelCreateOptions {
  /** Parameters as `tf.Variable`s with gradients (only kinds with `trainable: true`). */
  trainable?: boolean;
}

/** A registered model kind: its options schema and how to build one. */
export interface ModelKind<O extends ModelSpec = ModelSpec> {
  kind: string;
  description: string;
  inputSpace: InputSpace;
  /** The kind can be built with `{ trainable: true }` (plugin-train needs it). */
  trainable?: boolean;
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
  create(options: O, deps: ModelBuildDeps, build?: ModelCreateOptions): Promise<Model>;
}
