import { PNG } from 'pngjs';

/** An image as float pixels in [0, 1], row-major HWC (C = 1 grey, 3 RGB or 4 RGBA). */
export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Float32Array | number[];
}

/** Encode to PNG, clipping to [0, 1]. */
export function encodePng(image: FloatImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  const { channels, data } = image;
  for (let i = 0; i < image.width * image.height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[i * channels + (channels === 1 ? 0 : c)]!;
      png.data[i * 4 + c] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
    }
    png.data[i * 4 + 3] = channels === 4 ? Math.round(255 * Math.min(1, Math.max(0, data[i * 4 + 3]!))) : 255;
  }
  return PNG.sync.write(png);
}

/** Decode a PNG to float RGB in [0, 1] (alpha dropped). */
export function decodePng(bytes: Buffer): FloatImage {
  const png = PNG.sync.read(bytes);
  const out = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = png.data[i * 4 + c]! / 255;
  }
  return { width: png.width, height: png.height, channels: 3, data: out };
}
