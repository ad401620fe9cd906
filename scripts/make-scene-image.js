/*
 * Draws configs/data/scene.png, the target of the image-inversion configs: a 224×224 scene
 * (sky gradient, sun, hills, a house, a tree) with smooth regions, edges and texture, made
 * here so no image is downloaded. Run: node scripts/make-scene-image.js
 */
const path = require('node:path');
const fs = require('node:fs');
const { encodePng } = require('@repscope/core');

const S = 224;
const data = new Float32Array(S * S * 3);
const set = (x, y, rgb) => data.set(rgb, (y * S + x) * 3);
const inCircle = (x, y, cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const t = y / S;
    let rgb = [0.35 + 0.4 * t, 0.55 + 0.3 * t, 0.95 - 0.2 * t]; // sky
    if (inCircle(x, y, 170, 45, 22)) rgb = [1.0, 0.85, 0.3]; // sun
    const hill1 = 150 + 18 * Math.sin(x / 23);
    const hill2 = 170 + 12 * Math.sin(x / 15 + 1.3);
    if (y > hill1) rgb = [0.25, 0.55 + 0.1 * Math.sin(x / 3) * Math.sin(y / 4), 0.2];
    if (y > hill2) rgb = [0.2, 0.42 + 0.08 * ((x * 7 + y * 13) % 5) / 5, 0.15];
    if (x >= 50 && x < 110 && y >= 120 && y < 175) rgb = [0.85, 0.8, 0.7]; // house wall
    if (y >= 85 && y < 120 && Math.abs(x - 80) <= (y - 85) * 0.95) rgb = [0.65, 0.15, 0.12]; // roof
    if (x >= 72 && x < 88 && y >= 145 && y < 175) rgb = [0.35, 0.2, 0.1]; // door
    if (((x >= 56 && x < 68) || (x >= 94 && x < 106)) && y >= 130 && y < 142) rgb = [0.55, 0.75, 0.95]; // windows
    if (x >= 160 && x < 168 && y >= 130 && y < 178) rgb = [0.4, 0.25, 0.1]; // trunk
    if (inCircle(x, y, 164, 118, 20)) rgb = [0.1, 0.45 + 0.15 * (((x ^ y) & 3) / 3), 0.12]; // leaves
    set(x, y, rgb);
  }
}
const out = path.resolve(__dirname, '..', 'configs', 'data', 'scene.png');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, encodePng({ width: S, height: S, channels: 3, data }));
console.log(`wrote ${out}`);
