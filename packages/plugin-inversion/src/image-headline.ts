import type { Headline } from '@repscope/core';

/** What the image inversion records per depth that its headline shows. */
export interface DepthResult {
  depth: number;
  psnr: number;
  ssim: number;
  outputDistance: number;
  baselineDistance: number;
  beatsBaseline: boolean;
  topRowsError: number;
  otherRowsError: number;
  image: string;
}

/** The target beside each depth's reconstruction, with the deepest depth's numbers: how much of the image came back. */
export function imageHeadline(perDepth: DepthResult[]): Headline {
  const last = perDepth[perDepth.length - 1]!;
  const baseline = last.beatsBaseline ? 'below' : 'above';
  return {
    answer: `From block ${last.depth}'s output: PSNR ${last.psnr.toFixed(1)} dB, SSIM ${last.ssim.toFixed(3)}; the output ends ${baseline} the eq. 4 baseline m.`,
    verdict: last.beatsBaseline ? 'good' : 'bad',
    images: [{ path: 'target.png', caption: 'target' }, ...perDepth.map((p) => ({ path: p.image, caption: `depth ${p.depth}: PSNR ${p.psnr.toFixed(1)} dB` }))],
    imageWidth: 160,
    facts: [
      { label: 'PSNR (dB)', value: last.psnr },
      { label: 'SSIM', value: last.ssim },
      { label: 'output distance', value: last.outputDistance },
      { label: 'eq. 4 baseline m', value: last.baselineDistance },
      { label: 'error, top quarter of patch rows', value: last.topRowsError, hint: 'mean |pixel error| in the first quarter of patch rows (the first tokens)' },
      { label: 'error, other rows', value: last.otherRowsError },
    ],
  };
}
