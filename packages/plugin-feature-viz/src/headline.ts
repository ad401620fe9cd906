import type { Headline } from '@repscope/core';

/** The summary fields of a feature-viz run that its headline reads. */
export interface FeatureVizSummary {
  hook: string;
  panels: { label: string }[];
  objectiveImproved: number;
  earlyPatchChangeFraction: number;
  earlyFraction: number;
  steps: number;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

/**
 * The optimised images first: what a feature visualisation is for is to be looked at. Beside
 * them, the seed's question in numbers: did the objective move, and did the early patches
 * change most.
 */
export function featureVizHeadline(s: FeatureVizSummary, grid: string): Headline {
  const n = s.panels.length;
  const improved = Math.round(s.objectiveImproved * n);
  return {
    answer: `${improved} of ${n} panels improved their objective; ${percent(s.earlyPatchChangeFraction)} of the change fell in the first ${percent(s.earlyFraction)} of patches (${percent(s.earlyFraction)} would be even).`,
    images: [{ path: grid, caption: `the ${n} optimised images of ${s.hook}, labelled` }],
    facts: [
      { label: 'panels improved', value: `${improved} / ${n}` },
      { label: `change in the first ${percent(s.earlyFraction)} of patches`, value: s.earlyPatchChangeFraction, hint: 'mean over panels of the share of the image change (|Δ pixel| per patch) in the earliest patches' },
      { label: 'hook', value: s.hook },
      { label: 'steps', value: s.steps },
    ],
  };
}
