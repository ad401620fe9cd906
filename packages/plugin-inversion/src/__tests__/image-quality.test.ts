import type { FloatImage } from '@repscope/core';
import { meanSsim, psnr } from '../image-quality';

const constant = (value: number, size = 16): FloatImage => ({ width: size, height: size, channels: 3, data: new Float32Array(size * size * 3).fill(value) });

describe('image quality against values computed by hand', () => {
  test('PSNR of a uniform 0.1 offset is 10·log10(1/0.01) = 20 dB; identical images are infinite', () => {
    expect(psnr(constant(0.5), constant(0.6))).toBeCloseTo(20, 4);
    expect(psnr(constant(0.25), constant(0.25))).toBe(Infinity);
  });

  test("SSIM of two flat images is the luminance term alone, (2μxμy + C1)/(μx² + μy² + C1) with C1 = (0.01·255)²", () => {
    // 0.5 and 0.6 become 8-bit 128 and 153; with no variance the contrast-structure term is C2/C2 = 1.
    const c1 = (0.01 * 255) ** 2;
    const expected = (2 * 128 * 153 + c1) / (128 ** 2 + 153 ** 2 + c1);
    expect(meanSsim(constant(0.5), constant(0.6))).toBeCloseTo(expected, 3);
    expect(meanSsim(constant(0.3), constant(0.3))).toBeCloseTo(1, 6);
  });

  test('SSIM falls as structure is destroyed: a checkerboard against its inverse scores near −1', () => {
    const size = 16;
    const board = (invert: boolean): FloatImage => {
      const data = new Float32Array(size * size * 3);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.fill(((x + y) % 2 === 0) !== invert ? 1 : 0, (y * size + x) * 3, (y * size + x) * 3 + 3);
      return { width: size, height: size, channels: 3, data };
    };
    expect(meanSsim(board(false), board(true))).toBeLessThan(-0.9);
  });
});
