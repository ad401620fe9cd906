import type { Headline } from '@repscope/core';

/** The summary fields of a training run that its headline reads. */
export interface TrainSummary {
  trainLoss: number | null;
  evalLoss: number | null;
  evalPerplexity: number | null;
  unigramEntropy: number;
  beatsUnigram: boolean | null;
  tokensSeen: number;
  parameters: number;
  checkpoints: { path: string; step: number }[];
  finalSample: string | null;
}

/**
 * Whether the model learned more than word frequencies: its held-out loss against the unigram
 * entropy of the training tokens (the loss of a model that knows only how often each token
 * occurs), and what it writes now.
 */
export function trainHeadline(s: TrainSummary, prompt: string): Headline {
  const step = s.checkpoints.at(-1)?.step ?? 0;
  const entropy = `the unigram entropy ${s.unigramEntropy.toFixed(2)} nats`;
  const answer =
    s.evalLoss === null
      ? `No held-out evaluation yet at step ${step}; ${entropy} is the loss to beat.`
      : `Held-out loss ${s.evalLoss.toFixed(2)} nats ${s.beatsUnigram ? 'beats' : 'has not beaten'} ${entropy} at step ${step}.`;
  return {
    answer,
    ...(s.beatsUnigram === null ? {} : { verdict: s.beatsUnigram ? ('good' as const) : ('bad' as const) }),
    ...(s.finalSample !== null ? { texts: [{ label: `sample, step ${step}`, text: s.finalSample }] } : {}),
    facts: [
      { label: 'held-out loss (nats)', value: s.evalLoss },
      { label: 'unigram entropy (nats)', value: s.unigramEntropy, hint: 'the loss of a model that knows only how often each token occurs' },
      { label: 'held-out perplexity', value: s.evalPerplexity },
      { label: 'training loss (nats)', value: s.trainLoss, hint: 'mean over the last logged steps' },
      { label: 'tokens seen', value: s.tokensSeen },
      { label: 'parameters', value: s.parameters },
    ],
    caption: `The sample is the greedy continuation of ${JSON.stringify(prompt)} at the last evaluation.`,
  };
}
