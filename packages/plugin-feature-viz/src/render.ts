import type { FloatImage } from '@repscope/core';
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font';

/** Nearest-neighbour resample of an RGB image to w × h (for tiles; no smoothing of the result). */
export function resampleNearest(img: FloatImage, w: number, h: number): FloatImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.floor((y * img.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.floor((x * img.width) / w));
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = img.data[(sy * img.width + sx) * img.channels + (img.channels === 1 ? 0 : c)]!;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** A labelled grid of tiles (like the seed's 4×4 figures): each tile with its caption above. */
export function labelledGrid(tiles: { image: FloatImage; label: string }[], columns: number, tile: number): FloatImage {
  const gap = 4;
  const captionHeight = GLYPH_HEIGHT + 4;
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * tile + (columns + 1) * gap;
  const height = rows * (tile + captionHeight) + (rows + 1) * gap;
  const data = new Float32Array(width * height * 3).fill(1);
  tiles.forEach(({ image, label }, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const x0 = gap + col * (tile + gap);
    const y0 = gap + row * (tile + captionHeight + gap);
    drawText(data, width, height, label, x0 + Math.max(0, Math.floor((tile - textWidth(label)) / 2)), y0 + 1, [0.1, 0.1, 0.1]);
    const t = resampleNearest(image, tile, tile);
    for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) for (let c = 0; c < 3; c++) data[((y0 + captionHeight + y) * width + x0 + x) * 3 + c] = t.data[(y * tile + x) * 3 + c]!;
  });
  return { width, height, channels: 3, data };
}

/** Viridis, sampled at 9 points and interpolated linearly: 0 → dark purple, 1 → yellow. */
const VIRIDIS = [
  [0.267, 0.005, 0.329],
  [0.283, 0.141, 0.458],
  [0.254, 0.265, 0.53],
  [0.207, 0.372, 0.553],
  [0.164, 0.471, 0.558],
  [0.128, 0.567, 0.551],
  [0.135, 0.659, 0.518],
  [0.478, 0.821, 0.318],
  [0.993, 0.906, 0.144],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => VIRIDIS[i]![c]! * (1 - f) + VIRIDIS[i + 1]![c]! * f) as [number, number, number];
}

/** A grid of values (rows × cols) as a heat map image, scaled by `max` (the same max across panels). */
export function heatMap(values: number[], rows: number, cols: number, max: number): FloatImage {
  const data = new Float32Array(rows * cols * 3);
  values.forEach((v, i) => data.set(viridis(max > 0 ? v / max : 0), i * 3));
  return { width: cols, height: rows, channels: 3, data };
}

function barNumber(v: number): string {
  return v.toPrecision(3).replace('e+', 'E').replace('e-', 'E-');
}

/**
 * The image with a viridis colour bar appended below it: the scale from 0 to `max`, with
 * both ends and the middle labelled and `label` saying what the colours measure.
 */
export function withColourBar(image: FloatImage, max: number, label: string): FloatImage {
  const gap = 6;
  const barHeight = 12;
  const barWidth = Math.max(120, Math.min(image.width - 2 * gap, 320));
  const width = Math.max(image.width, barWidth + 2 * gap, textWidth(label) + 2 * gap);
  const height = image.height + gap + barHeight + 3 + GLYPH_HEIGHT + 4 + GLYPH_HEIGHT + gap;
  const data = new Float32Array(width * height * 3).fill(1);
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = image.data[(y * image.width + x) * image.channels + (image.channels === 1 ? 0 : c)]!;
  const x0 = gap;
  const y0 = image.height + gap;
  for (let x = 0; x < barWidth; x++) {
    const rgb = viridis(x / (barWidth - 1));
    for (let y = 0; y < barHeight; y++) data.set(rgb, ((y0 + y) * width + x0 + x) * 3);
  }
  const ink: [number, number, number] = [0.1, 0.1, 0.1];
  const ticksY = y0 + barHeight + 3;
  const ends = ['0', barNumber(max / 2), barNumber(max)];
  drawText(data, width, height, ends[0]!, x0, ticksY, ink);
  drawText(data, width, height, ends[1]!, x0 + Math.floor((barWidth - textWidth(ends[1]!)) / 2), ticksY, ink);
  drawText(data, width, height, ends[2]!, x0 + barWidth - textWidth(ends[2]!), ticksY, ink);
  drawText(data, width, height, label, x0, ticksY + GLYPH_HEIGHT + 4, ink);
  return { width, height, channels: 3, data };
}
