import { decodeText, displayTokens, InvalidInputError, tf, tokenizerFor, type RunContext, type TokenModel } from '@repscope/core';
import type { InversionOptions } from './options';
import { disposeTarget, promptIds, tokenTarget } from './token-target';

export interface PositionRecord {
  position: number;
  token: number;
  candidatesTried: number;
  /** Rank of the accepted token in the proposal's nearest-row order (1 = the first guess). */
  acceptedRank: number;
  rounds: number;
  seconds: number;
  /** Relative distance of the accepted candidate's state to the target state. */
  relativeError: number;
}

/**
 * Exact sequential inversion (after Nikolaou et al. 2025, "Language Models are Injective and
 * Hence Invertible", SipIt). A causal model's output at position t depends only on tokens
 * ≤ t, so with the prefix already recovered, position t is found by: a few gradient steps on
 * a continuous embedding e_t towards the target state h*_t; the nearest unvisited vocabulary
 * rows to e_t become candidates; each candidate is verified by recomputing h_t (batched) and
 * accepted when ‖h_t − h*_t‖ ≤ ε‖h*_t‖. Rounds grow ×4 until one is accepted; every round
 * visits new tokens, so a position needs at most |V| verifications.
 */
export async function runSequentialInversion(ctx: RunContext<InversionOptions>, model: TokenModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const s = o.sequential;
  if (model.kind === 'fcnet') throw new InvalidInputError('method sequential needs a causal model (gpt2 or the per-token mlp); fcnet mixes all positions', 'E_CONFIG_MODEL');
  const ids = promptIds(o);
  const tokenizer = tokenizerFor(model);
  const target = tokenTarget(model, ids);
  const n = ids.length;
  const V = model.vocabSize;
  const limit = Math.min(V, s.maxCandidates ?? V);
  const positions = model.positionEmbeddings(n);
  const wte = model.tokenEmbeddingMatrix();
  const recovered: number[] = [];
  const records: PositionRecord[] = [];
  const started = performance.now();
  ctx.progress.start(n, 'sequential');
  ctx.metrics.describe({ x: { title: 'token position', categorical: true } });
  try {
    for (let t = 0; t < n; t++) {
      await ctx.checkInterrupted();
      const t0 = performance.now();
      const want = tf.tidy(() => tf.reshape(tf.slice(target.output, [0, t, 0], [1, 1, -1]), [-1]));
      const wantNorm = tf.tidy(() => tf.norm(want).dataSync()[0]!);
      const prefix = t > 0 ? model.embed([recovered]) : undefined;
      const posT = tf.slice(positions, [t, 0], [1, -1]);
      // Continuous proposal, started from the mean token embedding at position t.
      const proposal = tf.variable(tf.tidy(() => tf.reshape(tf.add(tf.mean(wte, 0, true), posT), [1, 1, -1])));
      const stateAtT = (candidate: tf.Tensor): tf.Tensor => {
        const seq = prefix ? tf.concat([tf.tile(prefix, [candidate.shape[0]!, 1, 1]), candidate], 1) : candidate;
        return tf.reshape(tf.slice(model.forward(seq), [0, t, 0], [-1, 1, -1]), [candidate.shape[0]!, -1]);
      };
      const visited = new Set<number>();
      let batch = s.firstBatch;
      let accepted: { token: number; error: number; rank: number } | undefined;
      let rounds = 0;
      while (!accepted && visited.size < limit) {
        rounds++;
        for (let k = 0; k < s.proposalSteps; k++) {
          tf.tidy(() => {
            const g = tf.grad((e: tf.Tensor) => tf.sum(tf.squaredDifference(stateAtT(e), want)))(proposal);
            proposal.assign(tf.sub(proposal, tf.mul(g, s.proposalLr / Math.max(wantNorm, 1e-6))));
          });
        }
        const ranked = tf.tidy(() => {
          const tokenVec = tf.reshape(tf.sub(proposal, posT), [1, -1]);
          const dist = tf.sum(tf.squaredDifference(wte, tokenVec), 1);
          return tf.topk(tf.neg(dist), Math.min(V, visited.size + batch)).indices.dataSync();
        });
        const candidates = Array.from(ranked).filter((id) => !visited.has(id)).slice(0, Math.min(batch, limit - visited.size));
        const visitedBefore = visited.size;
        for (const c of candidates) visited.add(c);
        const errors = tf.tidy(() => {
          const emb = tf.add(tf.gather(wte, tf.tensor1d(candidates, 'int32')), posT);
          const states = stateAtT(tf.reshape(emb, [candidates.length, 1, -1]));
          return tf.div(tf.norm(tf.sub(states, want), 'euclidean', 1), wantNorm || 1).dataSync();
        });
        let bestJ = -1;
        for (let j = 0; j < candidates.length; j++) if (errors[j]! <= s.epsilon && (bestJ < 0 || errors[j]! < errors[bestJ]!)) bestJ = j;
        if (bestJ >= 0) accepted = { token: candidates[bestJ]!, error: errors[bestJ]!, rank: visitedBefore + bestJ + 1 };
        batch = Math.min(s.maxBatch, batch * 4);
      }
      tf.dispose([want, posT, proposal, ...(prefix ? [prefix] : [])]);
      const seconds = (performance.now() - t0) / 1000;
      if (!accepted) {
        records.push({ position: t, token: -1, candidatesTried: visited.size, acceptedRank: -1, rounds, seconds, relativeError: NaN });
        ctx.log(`position ${t}: no candidate within ε after ${visited.size} tokens; stopping`);
        break;
      }
      recovered.push(accepted.token);
      records.push({ position: t, token: accepted.token, candidatesTried: visited.size, acceptedRank: accepted.rank, rounds, seconds, relativeError: accepted.error });
      ctx.metrics.log(t, { candidatesTried: visited.size, acceptedRank: accepted.rank, rounds, seconds, relativeError: accepted.error, correct: accepted.token === ids[t] });
      ctx.progress.update(t + 1);
    }
  } finally {
    positions.dispose();
    disposeTarget(target);
  }
  const seconds = (performance.now() - started) / 1000;
  const exact = recovered.length === n && recovered.every((t, i) => t === ids[i]);
  const correct = recovered.filter((t, i) => t === ids[i]).length;
  ctx.report.addTable(
    'Positions',
    ['position', 'target', 'recovered', 'candidates tried', 'accepted rank', 'rounds', 'relative error', 'seconds'],
    records.map((r) => [r.position, displayTokens([ids[r.position]!], tokenizer)[0]!, r.token >= 0 ? displayTokens([r.token], tokenizer)[0]! : '(none)', r.candidatesTried, r.acceptedRank, r.rounds, r.relativeError, r.seconds]),
  );
  return {
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
    maxAcceptedRank: Math.max(...records.map((r) => r.acceptedRank)),
    positions: records,
    secondsPerSentence: seconds,
    msPerToken: (seconds * 1000) / n,
    steps: n,
    snapshots: [],
  };
}
