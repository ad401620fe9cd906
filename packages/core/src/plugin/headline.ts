import { displayTokens, type Tokenizer } from '@repscope/models';

/*
 * The answer a run gives, declared by its plugin with ctx.report.setHeadline and shown at the
 * top of report.html, above the full summary table (which a reader otherwise has to search for
 * the one row that matters). Every part but `answer` is optional; a plugin shows what its
 * run found with the parts that fit it.
 */

/** How a token compares with the one expected there: colours it in the headline. */
export type TokenMark = 'right' | 'wrong' | 'changed';

export interface HeadlineToken {
  /** The token as shown (displayTokens: spaces as ␣, newlines as ↵). */
  text: string;
  /** Its id, shown on hover: readers compare tokens, not id lists. */
  id?: number;
  mark?: TokenMark;
  /** A short line under the token, e.g. "12 tried". */
  note?: string;
  /** More on hover, e.g. "target: ␣sky (id 6766)". */
  hint?: string;
}

/** One labelled row of tokens, e.g. the target and the decoded text one above the other. */
export interface HeadlineTokenRow {
  label: string;
  tokens: HeadlineToken[];
}

/** A labelled number (or short value) beside the answer. */
export interface HeadlineFact {
  label: string;
  value: string | number | boolean | null;
  /** Shown on hover: what the number is, where it comes from. */
  hint?: string;
}

/** A labelled text, e.g. the decoded text at the start and the end of a walk. */
export interface HeadlineText {
  label: string;
  text: string;
}

export interface Headline {
  /** The answer in one sentence, shown first and largest. */
  answer: string;
  /** `good`: the run found what it set out to (green); `bad`: it did not (red); absent: neither. */
  verdict?: 'good' | 'bad';
  tokens?: HeadlineTokenRow[];
  texts?: HeadlineText[];
  /** Paths relative to the run folder (what ctx.artifacts.writePng returns). */
  images?: { path: string; caption?: string }[];
  /** Width of each image in CSS pixels (pixel art is not smoothed); at most the page's width. */
  imageWidth?: number;
  facts?: HeadlineFact[];
  /** One line under the headline saying how to read it (what the colours mean, units). */
  caption?: string;
}

/**
 * Token ids as headline tokens; with `expected`, each is marked right or wrong against the
 * token at the same position, and a wrong one names the expected token on hover.
 */
export function headlineTokens(ids: number[], tokenizer: Tokenizer | undefined, expected?: number[]): HeadlineToken[] {
  const shown = displayTokens(ids, tokenizer);
  const wanted = expected ? displayTokens(expected, tokenizer) : [];
  return ids.map((id, i) => {
    const token: HeadlineToken = { text: shown[i]!, id };
    if (!expected) return token;
    if (expected[i] === id) return { ...token, mark: 'right' };
    return { ...token, mark: 'wrong', hint: expected[i] === undefined ? 'past the end of the expected tokens' : `expected ${wanted[i]} (id ${expected[i]})` };
  });
}
