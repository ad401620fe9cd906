import { InvalidInputError, isTokenModel, tf, type RunContext, type TokenModel } from '@repscope/core';
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
    const model = await ctx.models.create(s.prior);
    if (!isTokenModel(model) || !canJudge(model)) {
      throw new InvalidInputError(`sequential.prior: a "${model.kind}" model without an LM head cannot predict the next token; give a token model with head: true`, 'E_CONFIG_MODEL');
    }
    const context = priorContext(s.priorContext, model.tokenizer);
    if (!context) throw new InvalidInputError("sequential.priorContext: the prior's tokenizer names no document-start token (BOS or EOS); give the token ids it should read first", 'E_CONFIG_MODEL');
    return new RankingPrior(model, context);
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
