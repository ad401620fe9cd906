import { ssim } from 'ssim.js';
import type { FloatImage } from '@repscope/core';

/** Peak signal-to-noise ratio (dB) of two [0, 1] images of the same size. */
export function psnr(a: FloatImage, b: FloatImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

function toRgba(img: FloatImage): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round(255 * Math.min(1, Math.max(0, img.data[i * img.channels + (img.channels === 1 ? 0 : c)]!)));
    data[i * 4 + 3] = 255;
  }
  return { data, width: img.width, height: img.height };
}

/** Mean structural similarity (Wang et al. 2004, via ssim.js) of two RGB images. */
export function meanSsim(a: FloatImage, b: FloatImage): number {
  return ssim(toRgba(a) as unknown as Parameters<typeof ssim>[0], toRgba(b) as unknown as Parameters<typeof ssim>[1]).mssim;
}
