import { displayTokens, headlineTokens, type Headline, type HeadlineFact, type HeadlineToken, type Tokenizer } from '@repscope/core';
import type { PositionRecord } from './run-sequential';

/*
 * The answer an inversion run gives, read off its summary: which tokens came back, set one
 * above the other so the reader compares tokens rather than two lists of ids.
 */

const TOKEN_CAPTION = 'Green: recovered, red: wrong. Hover a token for its id (and, when wrong, the token it should have been).';

/** The summary fields of a gradient inversion of tokens that the headline reads. */
export interface GradientSummary {
  tokens: number[];
  targetTokens: number[];
  exactMatch: boolean;
  tokenAccuracy: number;
  outputDistance: number;
  baselineDistance: number;
  beatsBaseline: boolean;
  firstStepBeatingBaseline: number | null;
  baselineDistanceScaled: number;
  beatsBaselineScaled: boolean;
  nextTokenAgreement: boolean | null;
  steps: number;
  restarts: number;
}

function recovered(tokens: number[], target: number[]): number {
  return target.filter((t, i) => tokens[i] === t).length;
}

/** Eq. 4 in words: where the output ended against m, and when it first got below it. */
function baselineVerdict(s: GradientSummary): string {
  if (s.beatsBaseline) return `ends below the eq. 4 baseline m (first below it at step ${s.firstStepBeatingBaseline})`;
  if (s.firstStepBeatingBaseline !== null) return `ends above the eq. 4 baseline m (below it at step ${s.firstStepBeatingBaseline}, not at the end)`;
  return `never got below the eq. 4 baseline m in ${s.steps} steps`;
}

export function gradientHeadline(s: GradientSummary, tokenizer: Tokenizer | undefined): Headline {
  const n = s.targetTokens.length;
  const k = recovered(s.tokens, s.targetTokens);
  const tokens = s.exactMatch ? `Recovered the prompt exactly (${n} of ${n} tokens)` : `${k} of ${n} tokens recovered`;
  const facts: HeadlineFact[] = [
    { label: 'tokens recovered', value: `${k} / ${n}` },
    { label: 'output distance ‖O(x) − O(e)‖₁', value: s.outputDistance, hint: 'of the best restart at the end' },
    { label: 'eq. 4 baseline m', value: s.baselineDistance, hint: 'the output distance of the prompt plus N(0, σ) noise (σ = baseline.std)' },
    { label: 'first step below m', value: s.firstStepBeatingBaseline ?? 'never' },
    { label: 'below the scaled m', value: s.beatsBaselineScaled, hint: `m with σ relative to the embedding's own std: ${s.baselineDistanceScaled.toPrecision(4)}` },
  ];
  if (s.nextTokenAgreement !== null) facts.push({ label: 'same next token', value: s.nextTokenAgreement, hint: 'the judge predicts the same next token after the decoded text as after the prompt' });
  if (s.restarts > 1) facts.push({ label: 'restarts', value: s.restarts, hint: 'the headline shows the best one' });
  return {
    answer: `${tokens}; the output ${baselineVerdict(s)}.`,
    ...(s.exactMatch ? { verdict: 'good' as const } : !s.beatsBaseline ? { verdict: 'bad' as const } : {}),
    tokens: [
      { label: 'target', tokens: headlineTokens(s.targetTokens, tokenizer) },
      { label: 'decoded', tokens: headlineTokens(s.tokens, tokenizer, s.targetTokens) },
    ],
    facts,
    caption: TOKEN_CAPTION,
  };
}

/** The summary fields of a sequential inversion that the headline reads. */
export interface SequentialSummary {
  targetTokens: number[];
  exactMatch: boolean;
  candidatesTriedTotal: number;
  maxCandidatesTried: number;
  medianAcceptedRank: number | null;
  minMargin: number;
  rankingUsed: string;
  positions: PositionRecord[];
  secondsPerSentence: number;
}

/** One token per position tried, noting how many candidates it took; a position that found none shows ∅. */
function positionTokens(s: SequentialSummary, tokenizer: Tokenizer | undefined): HeadlineToken[] {
  const expected = displayTokens(s.targetTokens, tokenizer);
  return s.positions.map((p) => {
    const note = `${p.candidatesTried} tried`;
    if (p.token < 0) return { text: '∅', mark: 'wrong' as const, note, hint: `no candidate within ε (expected ${expected[p.position]}, id ${s.targetTokens[p.position]})` };
    const [token] = headlineTokens([p.token], tokenizer, [s.targetTokens[p.position]!]);
    return { ...token!, note, ...(token!.mark === 'right' ? { hint: `recovered; accepted as candidate ${p.acceptedRank}` } : {}) };
  });
}

export function sequentialHeadline(s: SequentialSummary, tokenizer: Tokenizer | undefined): Headline {
  const n = s.targetTokens.length;
  const k = s.positions.filter((p) => p.token === s.targetTokens[p.position]).length;
  const stopped = s.positions.find((p) => p.token < 0);
  const answer = s.exactMatch
    ? `Recovered the prompt exactly (${n} of ${n} tokens), verifying ${s.candidatesTriedTotal} candidates.`
    : `${k} of ${n} tokens recovered${stopped ? `; stopped at position ${stopped.position}: no candidate within ε` : ''}.`;
  return {
    answer,
    verdict: s.exactMatch ? 'good' : 'bad',
    tokens: [
      { label: 'target', tokens: headlineTokens(s.targetTokens, tokenizer) },
      { label: 'recovered', tokens: positionTokens(s, tokenizer) },
    ],
    facts: [
      { label: 'tokens recovered', value: `${k} / ${n}` },
      { label: 'candidates verified', value: s.candidatesTriedTotal },
      { label: 'most at one position', value: s.maxCandidatesTried },
      { label: 'median accepted rank', value: s.medianAcceptedRank, hint: '1 = the ranking’s first guess was right' },
      { label: 'smallest margin', value: s.minMargin, hint: 'second-best ÷ best relative error at a position: how clearly the accepted token stood apart' },
      { label: 'ranking', value: s.rankingUsed },
      { label: 'seconds', value: s.secondsPerSentence },
    ],
    caption: `${TOKEN_CAPTION} Under each token: how many candidates that position verified.`,
  };
}
