import { decodeText, displayTokens, InvalidInputError, isCausal, tf, type NextPositionStates, type RunContext, type TokenModel } from '@repscope/core';
import type { InversionOptions } from './options';
import { disposeTarget, promptIds, tokenTarget } from './token-target';
import { acceptanceMargin, CandidateOrder, candidateScores, unvisited, verificationMacs, type RankingKind } from './sequential-ranking';
import { RankingPrior, type PriorSource } from './sequential-prior';
import { median } from './stats';
import { sequentialHeadline } from './headline';

export interface PositionRecord {
  position: number;
  token: number;
  candidatesTried: number;
  /** Rank of the accepted token in the order candidates were tried (1 = the first guess). */
  acceptedRank: number;
  rounds: number;
  seconds: number;
  /** Every remaining token verified at once (ranking `exhaustive`, or `auto` once its shortlist or first round is spent). */
  exhaustive: boolean;
  /** Relative distance of the accepted candidate's state to the target state. */
  relativeError: number;
  /** Second-best ÷ best relative error among every candidate verified at this position. */
  margin: number;
}

/**
 * Exact sequential inversion (after Nikolaou et al. 2025, "Language Models are Injective and
 * Hence Invertible", SipIt). A causal model's output at position t depends only on tokens
 * ≤ t, so with the prefix already recovered, position t is found by: a few gradient steps on
 * a continuous embedding towards the target state h*_t; candidate tokens ranked against it
 * (see sequential-ranking.ts); each round's candidates verified together by recomputing h_t
 * (the prefix's keys and values cached, so a candidate costs one position), and the best
 * one within ‖h_t − h*_t‖ ≤ ε‖h*_t‖ accepted once its error is at most 1/acceptMargin of every
 * other verified candidate's. Rounds grow ×4 and visit only new tokens, so a
 * position needs at most |V| verifications. An exhaustive round verifies every token not yet
 * visited in large chunks: on trained models no state-based ranking we measured keeps the true
 * token near the top (README), and then one bulk pass is cheaper than many ranked rounds. What
 * does keep it near the top is a language model's own next-token order (the `prior`), which
 * `auto` uses by default when the checkpoint has an LM head: its shortlist in rounds, then one
 * bulk pass over the rest. Tensors are read asynchronously, so it runs on webgpu too.
 */
export async function runSequentialInversion(ctx: RunContext<InversionOptions>, model: TokenModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const s = o.sequential;
  if (!isCausal(model)) throw new InvalidInputError(`method sequential needs a causal model (gpt2 or the per-token mlp); ${(model as TokenModel).kind} mixes all positions`, 'E_CONFIG_MODEL');
  const tokenizer = model.tokenizer;
  const ids = promptIds(o, tokenizer);
  const n = ids.length;
  const V = model.vocabSize;
  const limit = Math.min(V, s.maxCandidates ?? V);
  const auto = s.ranking === 'auto';
  const chosen = auto ? await RankingPrior.forAuto(ctx, model, n) : undefined;
  const prior = chosen && 'prior' in chosen ? chosen.prior : await RankingPrior.create(ctx);
  const priorSource: PriorSource | undefined = chosen && 'source' in chosen ? chosen.source : prior ? 'sequential.prior' : undefined;
  const priorUnavailable = chosen && 'unavailable' in chosen ? chosen.unavailable : undefined;
  const target = tokenTarget(model, ids);
  const positions = model.positionEmbeddings(n);
  const wte = model.tokenEmbeddingMatrix();
  const head = model.outputHook === 'logits';
  // Auto with a prior: the prior's order for `shortlist` candidates, then every remaining token at once.
  const shortlist = auto && prior ? Math.min(limit, s.priorShortlist) : Infinity;
  const exhaustiveFirst = s.ranking === 'exhaustive' || (auto && (prior ? shortlist === 0 : verificationMacs(model, head) * V <= s.exhaustiveBudget));
  // Ranked rounds of auto (the prior's, else nearest) and of exhaustive (none) use nearest.
  const kind: RankingKind = s.ranking === 'auto' ? (prior ? 'prior' : 'nearest') : s.ranking === 'exhaustive' ? 'nearest' : s.ranking;
  // What ordered the candidates, for the summary: auto's choice, or the configured ranking.
  const rankingUsed = exhaustiveFirst ? 'exhaustive' : kind;
  // Chunks as large as keep one chunk's widest activation near 16 MB: bulk verification is
  // several times faster per token in chunks of thousands than of hundreds.
  const bulkChunk = Math.max(s.maxBatch, Math.min(16384, Math.floor(2 ** 22 / Math.max(head ? V : model.dModel, 4 * model.dModel))));
  ctx.log(`sequential: ranking ${s.ranking}${auto ? ` → ${autoPlan(prior, priorSource, shortlist, exhaustiveFirst)}` : ''}${priorUnavailable ? ` (no prior: ${priorUnavailable})` : ''}`);
  const recovered: number[] = [];
  const records: PositionRecord[] = [];
  const started = performance.now();
  // CPU time as well as wall time: on a shared machine the wall clock measures the neighbours.
  const cpuStarted = process.cpuUsage();
  ctx.progress.start(n, 'sequential');
  // Time depends on the machine and its neighbours; the candidates verified measure the method.
  ctx.metrics.describe({
    x: { title: 'token position', categorical: true },
    summaryRoles: { secondsPerSentence: 'bookkeeping', cpuSecondsPerSentence: 'bookkeeping', msPerToken: 'bookkeeping', priorShortlist: 'bookkeeping' },
  });
  try {
    for (let t = 0; t < n; t++) {
      await ctx.checkInterrupted();
      const t0 = performance.now();
      const want = tf.tidy(() => tf.reshape(tf.slice(target.output, [0, t, 0], [1, 1, -1]), [1, -1]));
      const wantNorm = (await readValues(tf.tidy(() => tf.norm(want))))[0]! || 1;
      const prefix = t > 0 ? model.embed([recovered]) : undefined;
      const next = statesAfter(model, prefix, t);
      const posT = tf.slice(positions, [t, 0], [1, -1]) as tf.Tensor2D;
      const squaredError = (x: tf.Tensor): tf.Scalar => tf.sum(tf.squaredDifference(next.states(x as tf.Tensor3D), want));
      // Continuous proposal, started from the mean token embedding at position t.
      const proposal = tf.variable(tf.tidy(() => tf.reshape(tf.add(tf.mean(wte, 0, true), posT), [1, 1, -1])));
      // The prior ranks without a continuous proposal.
      for (let k = 0; k < (exhaustiveFirst || kind === 'prior' ? 0 : s.proposalSteps); k++) {
        tf.tidy(() => {
          const g = tf.grad(squaredError)(proposal);
          proposal.assign(tf.sub(proposal, tf.mul(g, s.proposalLr / wantNorm)));
        });
      }
      const verified = new Map<number, number>();
      let point: tf.Tensor = tf.clone(proposal);
      let batch = s.firstBatch;
      let accepted: { token: number; error: number; rank: number } | undefined;
      let incumbent: typeof accepted;
      let rounds = 0;
      let bulk = false;
      let order: CandidateOrder | undefined;
      while (!accepted && verified.size < limit) {
        // Between rounds too: a position of a trained model can take minutes of rounds.
        if (rounds > 0) await ctx.checkInterrupted();
        rounds++;
        bulk = exhaustiveFirst || (auto && (prior ? verified.size >= shortlist : rounds > 1));
        // Auto's prior rounds end exactly at the shortlist.
        const count = Math.min(batch, limit - verified.size, shortlist - verified.size);
        let candidates: number[];
        if (bulk) candidates = unvisited(V, verified, limit - verified.size);
        else {
          // The gradient ranking re-linearises every round; the others score once per position.
          if (!order || kind === 'gradient') {
            const gradient = kind === 'gradient' ? tf.tidy(() => tf.grad(squaredError)(point)) : undefined;
            const scores = kind === 'prior' ? prior!.scores(recovered) : candidateScores(kind, wte, posT, point, gradient);
            tf.dispose(gradient);
            order = await CandidateOrder.read(scores);
          }
          candidates = order.take(verified, count);
        }
        const triedBefore = verified.size;
        const errors = await verifyCandidates(next, wte, posT, want, wantNorm, candidates, bulk ? bulkChunk : s.maxBatch);
        candidates.forEach((c, j) => verified.set(c, errors[j]!));
        let bestJ = -1;
        for (let j = 0; j < candidates.length; j++) if (errors[j]! <= s.epsilon && (bestJ < 0 || errors[j]! < errors[bestJ]!)) bestJ = j;
        // A bulk round verifies its candidates all at once, so they count as tried in order of their error.
        const rankInRound = (j: number) => (bulk ? errors.filter((e) => e < errors[j]!).length : j);
        if (bestJ >= 0 && (!incumbent || errors[bestJ]! < incumbent.error)) incumbent = { token: candidates[bestJ]!, error: errors[bestJ]!, rank: triedBefore + rankInRound(bestJ) + 1 };
        // Within ε is not enough on a trained model: tokens it never saw share one state to ~1e-5,
        // so a candidate is taken only when it stands apart from every other verified one, or
        // when no token is left to verify.
        if (incumbent && (acceptanceMargin([...verified.values()]) >= s.acceptMargin || verified.size >= limit)) accepted = incumbent;
        else if (s.ranking === 'gradient') {
          // Re-linearise at the best token verified so far.
          const bestToken = [...verified.entries()].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
          point.dispose();
          point = tf.tidy(() => tf.reshape(tf.add(tf.gather(wte, [bestToken]), posT), [1, 1, -1]));
        }
        batch = Math.min(s.maxBatch, batch * 4);
      }
      const margin = acceptanceMargin([...verified.values()]);
      tf.dispose([want, posT, proposal, point, ...(prefix ? [prefix] : [])]);
      next.dispose();
      const seconds = (performance.now() - t0) / 1000;
      if (!accepted) {
        records.push({ position: t, token: -1, candidatesTried: verified.size, acceptedRank: -1, rounds, exhaustive: bulk, seconds, relativeError: NaN, margin });
        ctx.log(`position ${t}: no candidate within ε after ${verified.size} tokens; stopping`);
        break;
      }
      recovered.push(accepted.token);
      records.push({ position: t, token: accepted.token, candidatesTried: verified.size, acceptedRank: accepted.rank, rounds, exhaustive: bulk, seconds, relativeError: accepted.error, margin });
      ctx.metrics.log(t, { candidatesTried: verified.size, acceptedRank: accepted.rank, rounds, seconds, relativeError: accepted.error, margin, correct: accepted.token === ids[t] });
      ctx.progress.update(t + 1);
    }
  } finally {
    positions.dispose();
    disposeTarget(target);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const exact = recovered.length === n && recovered.every((t, i) => t === ids[i]);
  const correct = recovered.filter((t, i) => t === ids[i]).length;
  const acceptedRanks = records.filter((r) => r.token >= 0).map((r) => r.acceptedRank);
  ctx.report.addTable(
    'Positions',
    ['position', 'target', 'recovered', 'candidates tried', 'accepted rank', 'rounds', 'exhaustive', 'relative error', 'margin', 'seconds'],
    records.map((r) => [r.position, displayTokens([ids[r.position]!], tokenizer)[0]!, r.token >= 0 ? displayTokens([r.token], tokenizer)[0]! : '(none)', r.candidatesTried, r.acceptedRank, r.rounds, r.exhaustive ? 'yes' : 'no', r.relativeError, r.margin, r.seconds]),
  );
  const summary = {
    method: 'sequential',
    model: model.description,
    decoded: decodeText(recovered, tokenizer),
    tokens: recovered,
    targetTokens: ids,
    targetText: o.input.text ?? null,
    exactMatch: exact,
    tokenAccuracy: correct / n,
    candidatesTried: records.map((r) => r.candidatesTried),
    candidatesTriedTotal: records.reduce((a, r) => a + r.candidatesTried, 0),
    // Over the positions that accepted a token; a position that gave up has no rank (−1 in its record).
    maxAcceptedRank: acceptedRanks.length ? Math.max(...acceptedRanks) : null,
    medianAcceptedRank: acceptedRanks.length ? median(acceptedRanks) : null,
    maxCandidatesTried: Math.max(...records.map((r) => r.candidatesTried)),
    minMargin: Math.min(...records.map((r) => r.margin)),
    ranking: s.ranking,
    rankingUsed,
    ...(prior ? { prior: prior.description, priorSource, priorContext: [...prior.contextIds] } : {}),
    ...(auto && prior ? { priorShortlist: shortlist } : {}),
    ...(priorUnavailable ? { priorUnavailable } : {}),
    exhaustivePositions: records.filter((r) => r.exhaustive).length,
    positions: records,
    secondsPerSentence: seconds,
    cpuSecondsPerSentence: (cpu.user + cpu.system) / 1e6,
    msPerToken: (seconds * 1000) / n,
    steps: n,
    snapshots: [],
  };
  ctx.report.setHeadline(sequentialHeadline(summary, tokenizer));
  return summary;
}

/** Outputs at position t after a fixed prefix: the model's cached path when it has one, else the whole prefix per call. */
function statesAfter(model: TokenModel, prefix: tf.Tensor3D | undefined, t: number): NextPositionStates {
  if (model.nextPositionStates) return model.nextPositionStates(prefix);
  return {
    states: (next) =>
      tf.tidy(() => {
        const b = next.shape[0];
        const seq = prefix ? tf.concat([tf.tile(prefix, [b, 1, 1]), next], 1) : next;
        return tf.reshape(tf.slice(model.forward(seq), [0, t, 0], [-1, 1, -1]), [b, -1]) as tf.Tensor2D;
      }),
    dispose: () => undefined,
  };
}

/**
 * Relative errors ‖h(w_c + p_t) − h*‖ / ‖h*‖ of candidates, verified in chunks of at most
 * `chunk`: every chunk is queued before the first is read (a GPU runs ahead), and each read is
 * asynchronous (the webgpu backend cannot read synchronously in Node).
 */
async function verifyCandidates(next: NextPositionStates, wte: tf.Tensor2D, posT: tf.Tensor2D, want: tf.Tensor, wantNorm: number, candidates: number[], chunk: number): Promise<number[]> {
  const pending: tf.Tensor1D[] = [];
  for (let i = 0; i < candidates.length; i += chunk) {
    const part = candidates.slice(i, i + chunk);
    pending.push(
      tf.tidy(() => {
        const inputs = tf.reshape(tf.add(tf.gather(wte, tf.tensor1d(part, 'int32')), posT), [part.length, 1, -1]) as tf.Tensor3D;
        return tf.div(tf.norm(tf.sub(next.states(inputs), want), 'euclidean', 1), wantNorm) as tf.Tensor1D;
      }),
    );
  }
  const out: number[] = [];
  try {
    for (const errors of pending) out.push(...(await errors.data()));
  } finally {
    tf.dispose(pending);
  }
  return out;
}

/** A tensor's values, read asynchronously; the tensor is disposed. */
async function readValues(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** Auto's plan, for the log. */
function autoPlan(prior: RankingPrior | undefined, source: PriorSource | undefined, shortlist: number, exhaustiveFirst: boolean): string {
  if (prior) {
    const by = source === 'model' ? "the model's own next-token order (every block and its LM head)" : 'sequential.prior';
    return exhaustiveFirst ? 'every token verified at each position (priorShortlist 0)' : `${by} for the first ${shortlist} candidates, then every remaining token`;
  }
  return exhaustiveFirst ? 'every token verified at each position (the model is small enough)' : 'nearest first, then every remaining token';
}

