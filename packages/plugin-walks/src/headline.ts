import { displayTokens, headlineTokens, type Headline, type HeadlineFact, type HeadlineTokenRow, type Tokenizer } from '@repscope/core';

/*
 * The answer a walk gives, read off its summary: how little the layer's output moved (the
 * tangent walk's residual, the clamped walk's r) beside what the input became — the decoded
 * tokens at the start and at the end, the ones that changed marked.
 */

/** The summary fields both walks share that the headline reads. */
interface WalkSummary {
  steps: number;
  ratio: number;
  inputDistance: number;
  outputDistance: number;
  snapshots: { step: number; tokens: number[] }[];
}

export interface TangentSummary extends WalkSummary {
  stepSize: number;
  orthogonalityResidual: { mean: number; max: number; relativeMean: number; relativeMax: number };
}

export interface ClampedSummary extends WalkSummary {
  innerSteps: number;
  eta: number;
  epsilon: number;
}

/** Start and end of the walk as tokens; an end token that differs from the start's is marked changed and names what was there. */
function startAndEnd(s: WalkSummary, tokenizer: Tokenizer | undefined): { rows: HeadlineTokenRow[]; changed: number } {
  const start = s.snapshots[0]!.tokens;
  const end = s.snapshots[s.snapshots.length - 1]!;
  const before = displayTokens(start, tokenizer);
  let changed = 0;
  const endTokens = headlineTokens(end.tokens, tokenizer).map((t, i) => {
    if (t.id === start[i]) return t;
    changed++;
    return { ...t, mark: 'changed' as const, hint: `was ${before[i]} (id ${start[i]})` };
  });
  return { rows: [{ label: 'start', tokens: headlineTokens(start, tokenizer) }, { label: `step ${end.step}`, tokens: endTokens }], changed };
}

function textVerdict(changed: number, n: number, steps: number): string {
  return changed === 0 ? `the decoded text did not change in ${steps} steps` : `${changed} of ${n} decoded tokens changed in ${steps} steps`;
}

const CAPTION = 'Amber: a token that differs from the start (hover for the one it replaced, and for token ids).';

function distances(s: WalkSummary): HeadlineFact[] {
  return [
    { label: 'r = input / output moved', value: s.ratio, hint: '‖e − e₀‖₁ / ‖O(e) − O(e₀)‖₁ at the end: large = the layer did not notice the input move' },
    { label: '‖e − e₀‖₁', value: s.inputDistance },
    { label: '‖O(e) − O(e₀)‖₁', value: s.outputDistance },
  ];
}

export function tangentHeadline(s: TangentSummary, tokenizer: Tokenizer | undefined): Headline {
  const { rows, changed } = startAndEnd(s, tokenizer);
  const r = s.orthogonalityResidual;
  return {
    answer: `The step stayed orthogonal to the gradient to ‖G·v‖ ${r.mean.toPrecision(2)} on average (relative ${r.relativeMean.toPrecision(2)}); ${textVerdict(changed, rows[0]!.tokens.length, s.steps)}.`,
    tokens: rows,
    facts: [
      { label: 'mean ‖G·v‖', value: r.mean, hint: 'how far each step left the null space of the output gradient (0 = exactly inside)' },
      { label: 'max ‖G·v‖', value: r.max },
      { label: 'mean relative ‖G·v‖', value: r.relativeMean },
      ...distances(s),
      { label: 'step size', value: s.stepSize },
    ],
    caption: CAPTION,
  };
}

export function clampedHeadline(s: ClampedSummary, tokenizer: Tokenizer | undefined): Headline {
  const { rows, changed } = startAndEnd(s, tokenizer);
  return {
    answer: `r = ‖e − e₀‖₁ / ‖O(e) − O(e₀)‖₁ = ${s.ratio.toPrecision(3)} after ${s.steps} steps; ${textVerdict(changed, rows[0]!.tokens.length, s.steps)}.`,
    tokens: rows,
    facts: [...distances(s), { label: 'inner steps', value: s.innerSteps }, { label: 'η (noise)', value: s.eta }, { label: 'ε (restoring step)', value: s.epsilon }],
    caption: CAPTION,
  };
}
