import { decodeSchema, optimizerSchema, type DecodeOptions, type OptimizerSpec, type OptionsFromSchema, type OptionsSchema, type Registries } from '@repscope/core';

/**
 * The options after validation, read off the schema below (`optimizer` and `decode` are core's
 * optimizerSchema / decodeSchema fragments, typed by their own interfaces).
 */
export type InversionOptions = OptionsFromSchema<ReturnType<typeof inversionSchema>, { optimizer: OptimizerSpec; decode: DecodeOptions }>;

/** The `init` block: how the optimised input starts. */
export type InitOptions = InversionOptions['init'];

export function inversionSchema(r: Registries) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['input'],
    properties: {
      method: { type: 'string', enum: ['gradient', 'sequential'], default: 'gradient', description: 'gradient: the seed\'s descent on the input; sequential: exact position-by-position recovery with verification' },
      input: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        description: 'exactly one of text (GPT-2 tokenizer), tokens (ids, for checkpoints with their own vocabulary) or image',
        properties: {
          text: { type: 'string', minLength: 1 },
          tokens: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
          image: { type: 'string', repscopePath: true },
        },
      },
      init: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          // normal: e₀ ~ N(mean, std); mix: e₀ = s·N(0, std) + t·e (the seed's eq. with the true embedding).
          kind: { type: 'string', enum: ['normal', 'mix'], default: 'normal' },
          mean: { type: 'number', default: 0, description: 'normal: mean of e₀ (seed text: 0.5; seed code: 0)' },
          std: { type: 'number', minimum: 0, default: 1, description: 'normal: std of e₀ (seed text: 1/20; seed code: 1)' },
          s: { type: 'number', default: 0.001, description: 'mix: weight of the noise' },
          t: { type: 'number', default: 0.999, description: 'mix: weight of the true embedding' },
        },
      },
      loss: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          metric: { type: 'string', enum: r.metrics.names(), default: 'l1' },
          scale: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'the seed multiplies its L1 sum by 0.1' },
        },
      },
      optimizer: optimizerSchema({ kind: 'sgd', lr: 2, schedule: 'linear-decay' }, r.optimizers.names(), r.schedules.names()),
      steps: { type: 'integer', minimum: 0, default: 500 },
      restarts: { type: 'integer', minimum: 1, maximum: 256, default: 1, description: 'independent starts optimised together as one batch' },
      decode: decodeSchema(r),
      baseline: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          std: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: "eq. 4: e' = e + N(0, std), the seed's absolute σ = 1/20" },
          relativeStd: {
            type: 'number',
            exclusiveMinimum: 0,
            default: 0.05,
            description: "eq. 4 again with σ = relativeStd × std(e): the seed's 1/20 read relative to the embedding's own scale",
          },
        },
      },
      nextToken: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          enabled: { type: 'boolean', default: true },
          judge: { type: 'object', repscopeModel: true, description: 'model whose next-token prediction is compared (default: the experiment model, when it has logits)' },
        },
      },
      logEvery: { type: 'integer', minimum: 1, default: 1 },
      sequential: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          epsilon: {
            type: 'number',
            exclusiveMinimum: 0,
            default: 1e-5,
            description: 'a candidate can be accepted when ‖h − h*‖₂ ≤ epsilon·‖h*‖₂: a float32 tolerance (true tokens measured ≤ 1.5e-6; wrong tokens of trained models came within 7e-6 and 6.7e-5), so see acceptMargin too',
          },
          acceptMargin: {
            type: 'number',
            minimum: 1,
            default: 10,
            description: 'accept the best candidate within epsilon once every other verified candidate\'s error is at least this many times its own; otherwise keep verifying (the best within epsilon is taken when no token is left). 1: the best of the first round with one within epsilon',
          },
          proposalSteps: { type: 'integer', minimum: 0, default: 20, description: 'gradient steps on the continuous embedding before each round of candidates' },
          proposalLr: { type: 'number', exclusiveMinimum: 0, default: 0.05 },
          ranking: {
            type: 'string',
            enum: ['auto', 'nearest', 'normalized', 'gradient', 'prior', 'exhaustive'],
            default: 'auto',
            description:
              "order of candidates: nearest rows to the proposal, nearest after layer-norm standardisation, first-order (HotFlip) estimate re-linearised each round, most likely first under sequential.prior given the recovered prefix (prior), every token at once (exhaustive), or auto: a prior's order for the first priorShortlist candidates and then every remaining token at once — sequential.prior, else the model's own next-token order (its checkpoint with every block, the final norm and the LM head, whatever depth and head are inverted) — and without one (an untrained model, a kind or checkpoint without an LM head, autoPrior false; the summary's priorUnavailable says which) exhaustive when that costs at most exhaustiveBudget, else nearest for the first round and then every remaining token",
          },
          autoPrior: {
            type: 'boolean',
            default: true,
            description: "auto: rank by the model's own next-token order when its checkpoint has an LM head (false: auto as without a prior)",
          },
          priorShortlist: {
            type: 'integer',
            minimum: 0,
            default: 4096,
            description: "auto with a prior: candidates verified in the prior's order (rounds of firstBatch ×4 up to maxBatch) before every remaining token is verified at once",
          },
          prior: {
            type: 'object',
            repscopeModel: true,
            description: 'ranking prior (ranking prior, and auto instead of the model itself): a language model (with its LM head) whose next-token prediction after the recovered prefix orders the candidates, e.g. the same weights as model with head: true and every block',
          },
          priorContext: {
            type: 'array',
            items: { type: 'integer', minimum: 0 },
            minItems: 1,
            maxItems: 64,
            description: 'token ids the prior reads before the recovered prefix (default: the token its tokenizer starts documents with — GPT-2\'s <|endoftext|>, Llama\'s and Gemma\'s BOS, else the EOS its tokenizer_config.json names (Qwen); [198], a newline, for GPT-2-vocabulary models trained without it)',
          },
          exhaustiveBudget: {
            type: 'number',
            minimum: 0,
            default: 5e10,
            description: 'auto without a prior: verify every token from the start when that costs at most this many multiply-adds per position (5e10: a 4-block × 128 GPT-2 without head; untrained GPT-2 small is above it)',
          },
          firstBatch: { type: 'integer', minimum: 1, default: 8, description: 'candidates verified in the first round (then ×4 per round)' },
          maxBatch: { type: 'integer', minimum: 1, default: 512 },
          maxCandidates: { type: 'integer', minimum: 1, description: 'give up a position after this many (default: the vocabulary, which always terminates)' },
        },
      },
      image: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          depths: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, description: 'blocks whose output is inverted, one reconstruction each (default: the model depth)' },
          init: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: { mean: { type: 'number', default: 0.7 }, std: { type: 'number', minimum: 0, default: 0.05 } },
          },
          clip: { type: 'boolean', default: true, description: 'keep pixels in [0, 1] after each step' },
        },
      },
    },
  } as const satisfies OptionsSchema;
}
