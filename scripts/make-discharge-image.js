/*
 * Draws configs/data/discharge.png, the out-of-distribution target of
 * configs/inversion/image-hybrid-vs-vit-ood.yaml: a 224×224 drawing of an electrical discharge
 * (a dark background, a metal toroid, branching violet-white arcs with a glow). The seed shows
 * its hybrid-vs-ViT comparison also on a photograph of a Tesla coil, as an image outside the
 * models' training distribution; that photograph is not in this repository and nothing is
 * downloaded, so this drawing stands in for it (repscope's choice: thin high-contrast filaments
 * on black, nothing like scene.png's smooth regions). Deterministic (a seeded generator):
 * rerunning writes the same file. Run: node scripts/make-discharge-image.js
 */
const path = require('node:path');
const fs = require('node:fs');
const { encodePng } = require('@repscope/core');

const S = 224;
const data = new Float32Array(S * S * 3);

// mulberry32: a small seeded generator, so the drawing is the same every time.
let state = 0x5eed1e55;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Background: near-black, a faint violet haze above the toroid.
for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const haze = Math.exp(-(((x - 112) / 90) ** 2 + ((y - 150) / 80) ** 2));
    data.set([0.02 + 0.06 * haze, 0.02 + 0.02 * haze, 0.05 + 0.1 * haze], (y * S + x) * 3);
  }
}

/** Adds light of colour `rgb` around (cx, cy): a bright core and a soft glow (clamped at 1). */
function glow(cx, cy, rgb, core, halo) {
  const r = Math.ceil(halo * 3);
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(S - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(S - 1, Math.ceil(cx + r)); x++) {
      const d2 = (x - cx) ** 2 + (y - cy) ** 2;
      const w = Math.exp(-d2 / (2 * core * core)) + 0.25 * Math.exp(-d2 / (2 * halo * halo));
      const i = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = Math.min(1, data[i + c] + w * rgb[c]);
    }
  }
}

/** One arc: a jagged random walk from (x, y) heading `angle`, forking now and then. */
function arc(x, y, angle, length, width, depth) {
  for (let s = 0; s < length; s++) {
    angle += (random() - 0.5) * 0.9;
    x += Math.cos(angle) * 1.5;
    y += Math.sin(angle) * 1.5;
    if (x < -10 || x > S + 10 || y < -10 || y > S + 10) return;
    const fade = 1 - s / length;
    glow(x, y, [0.55 * fade + 0.25, 0.35 * fade + 0.2, 0.95], width, width * 4);
    if (depth < 3 && random() < 0.035) arc(x, y, angle + (random() < 0.5 ? -1 : 1) * (0.5 + random() * 0.6), length * 0.5, width * 0.7, depth + 1);
  }
}

// The toroid: a shaded grey ellipse ring, with the coil's column below it.
for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const i = (y * S + x) * 3;
    if (x >= 100 && x < 124 && y >= 176) {
      const stripe = y % 3 === 0 ? 0.55 : 0.75; // windings
      data.set([0.55 * stripe, 0.35 * stripe, 0.2 * stripe], i);
    }
    const u = (x - 112) / 46;
    const v = (y - 168) / 12;
    const d = u * u + v * v;
    if (d <= 1) {
      const shade = 0.35 + 0.5 * (1 - v) * 0.5 + 0.15 * Math.cos(u * 3);
      data.set([0.6 * shade, 0.62 * shade, 0.66 * shade], i);
    }
  }
}

// Arcs leave the top of the toroid, up and to both sides.
for (let k = 0; k < 9; k++) {
  const a = -Math.PI / 2 + (k - 4) * 0.38 + (random() - 0.5) * 0.2;
  arc(112 + Math.cos(a) * 40, 160 + Math.sin(a) * 8, a, 70 + random() * 50, 1.1, 0);
}

const out = path.resolve(__dirname, '..', 'configs', 'data', 'discharge.png');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, encodePng({ width: S, height: S, channels: 3, data }));
console.log(`wrote ${out}`);
