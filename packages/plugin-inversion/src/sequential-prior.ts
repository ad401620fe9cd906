import { InvalidInputError, isTokenModel, tf, UserFacingError, type ModelSpec, type RunContext, type TokenModel } from '@repscope/core';
import { canJudge } from './next-token';
import type { InversionOptions } from './options';

/** What the prior reads first: the configured ids, or the token its tokenizer starts documents with. */
export function priorContext(configured: number[] | undefined, tokenizer: { documentStart?: number } | undefined): number[] | undefined {
  if (configured) return configured;
  return tokenizer?.documentStart !== undefined ? [tokenizer.documentStart] : undefined;
}

/**
 * The `prior` ranking: candidates for position t in the order a language model expects them
 * after its context and the recovered prefix. Verification still decides, so a poor prior
 * costs candidates, never correctness.
 */
export class RankingPrior {
  private constructor(
    private readonly model: TokenModel,
    private readonly context: number[],
  ) {}

  static async create(ctx: RunContext<InversionOptions>): Promise<RankingPrior | undefined> {
    const s = ctx.options.sequential;
    if (s.ranking !== 'prior' || !s.prior) return undefined;
    return RankingPrior.fromSpec(ctx, s.prior);
  }

  /** The prior `sequential.prior` names: every problem with it is an error (check.ts reports most before the run). */
  private static async fromSpec(ctx: RunContext<InversionOptions>, spec: ModelSpec): Promise<RankingPrior> {
    const s = ctx.options.sequential;
    const model = await ctx.models.create(spec);
    if (!isTokenModel(model) || !canJudge(model)) {
      throw new InvalidInputError(`sequential.prior: a "${model.kind}" model without an LM head cannot predict the next token; give a token model with head: true`, 'E_CONFIG_MODEL');
    }
    const context = priorContext(s.priorContext, model.tokenizer);
    if (!context) throw new InvalidInputError("sequential.priorContext: the prior's tokenizer names no document-start token (BOS or EOS); give the token ids it should read first", 'E_CONFIG_MODEL');
    return new RankingPrior(model, context);
  }

  /**
   * ranking `auto`: the prior it ranks by — `sequential.prior` when given, else the model's own
   * next-token order (the experiment's model block with every block, the final norm and the LM
   * head, whatever `depth` and `head` the experiment inverts) when its checkpoint has an LM head —
   * or why there is none, in which case auto ranks as without a prior.
   */
  static async forAuto(ctx: RunContext<InversionOptions>, model: TokenModel, positions: number): Promise<{ prior: RankingPrior; source: PriorSource } | { unavailable: string }> {
    const s = ctx.options.sequential;
    if (s.prior) return { prior: await RankingPrior.fromSpec(ctx, s.prior), source: 'sequential.prior' };
    if (!s.autoPrior) return { unavailable: 'sequential.autoPrior is false' };
    const spec = ctx.config.model;
    if (!spec) return { unavailable: 'the experiment has no model block to build the prior from' };
    const kind = ctx.registries.models.tryGet(spec.kind);
    const options = (kind?.optionsSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
    if (!kind || kind.inputSpace !== 'embeddings' || !('head' in options)) return { unavailable: `model kind "${spec.kind}" cannot be built with an LM head` };
    if (typeof spec['weights'] !== 'string') return { unavailable: 'the model is untrained (no weights): its next-token order says nothing about the input' };
    const context = priorContext(s.priorContext, model.tokenizer);
    if (!context) return { unavailable: "the model's tokenizer names no document-start token (BOS or EOS) for the prior to read first; give sequential.priorContext" };
    if (context.some((id) => id >= model.vocabSize)) return { unavailable: `priorContext ${JSON.stringify(context)} is outside the vocabulary (${model.vocabSize} tokens)` };
    if (context.length + positions - 1 > model.maxPositions) {
      return { unavailable: `with its context the prior would read ${context.length + positions - 1} tokens, but the model takes at most ${model.maxPositions}` };
    }
    // The experiment's model already is the prior when it keeps every block, the final norm and the head.
    if (spec['depth'] === undefined && spec['head'] === true && spec['finalNorm'] !== false && canJudge(model)) return { prior: new RankingPrior(model, context), source: 'model' };
    const { depth: _depth, ...rest } = spec;
    let full;
    try {
      full = await ctx.models.create({ ...rest, head: true, finalNorm: true });
    } catch (err) {
      // A checkpoint without the later blocks or the head (e.g. a depth-limited download), or one too large to build twice.
      if (err instanceof UserFacingError) return { unavailable: `the model with every block and its LM head could not be built: ${err.message}` };
      throw err;
    }
    if (!isTokenModel(full) || !canJudge(full)) return { unavailable: `a "${full.kind}" model built with head: true has no logits` };
    if (full.vocabSize !== model.vocabSize) return { unavailable: `the model with its head has ${full.vocabSize} tokens, not ${model.vocabSize}` };
    return { prior: new RankingPrior(full, context), source: 'model' };
  }

  /** One line for logs and the summary: which model ranks. */
  get description(): string {
    return this.model.description;
  }

  /** The token ids the prior reads before the recovered prefix. */
  get contextIds(): readonly number[] {
    return this.context;
  }

  /** Scores over the vocabulary [V] (lower = tried first): minus the prior's logits for the token after `prefix`. */
  scores(prefix: number[]): tf.Tensor1D {
    return tf.tidy(() => {
      const ids = [...this.context, ...prefix];
      const logits = this.model.forward(this.model.embed([ids]), { output: 'logits' });
      return tf.neg(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1])) as tf.Tensor1D;
    });
  }
}

/** Where auto's prior came from: `sequential.prior`, or the experiment's own checkpoint with every block and its head. */
export type PriorSource = 'sequential.prior' | 'model';
