/**
 * How much of the held-out text also appears in the training text: the share of sampled
 * held-out 16-token windows (one every 64 tokens) that occur verbatim in a training segment.
 * Natural text repeats a 16-token run rarely; a file counted twice, or text pasted into two
 * files, shows up here, and then the held-out loss no longer measures generalisation.
 */
const WINDOW = 16;
const STRIDE = 64;
const P = 2_147_483_647; // 2^31 − 1: products with B stay exact in doubles
const B = 65_539;

function hashAt(tokens: Uint16Array, at: number): number {
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (h * B + tokens[at + i]!) % P;
  return h;
}

function sameWindow(a: Uint16Array, i: number, b: Uint16Array, j: number): boolean {
  for (let k = 0; k < WINDOW; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

export function heldOutOverlap(train: Uint16Array[], heldOut: Uint16Array[]): number {
  const samples = new Map<number, { part: Uint16Array; at: number; found: boolean }[]>();
  let sampled = 0;
  for (const part of heldOut) {
    for (let at = 0; at + WINDOW <= part.length; at += STRIDE) {
      const h = hashAt(part, at);
      const list = samples.get(h) ?? [];
      list.push({ part, at, found: false });
      samples.set(h, list);
      sampled++;
    }
  }
  if (!sampled) return 0;
  let top = 1; // B^(WINDOW−1) mod P, to drop the oldest token from the rolling hash
  for (let i = 1; i < WINDOW; i++) top = (top * B) % P;
  let found = 0;
  for (const part of train) {
    if (part.length < WINDOW) continue;
    let h = hashAt(part, 0);
    for (let at = 0; ; at++) {
      const hits = samples.get(h);
      if (hits) {
        for (const s of hits) {
          if (!s.found && sameWindow(s.part, s.at, part, at)) {
            s.found = true;
            found++;
          }
        }
      }
      if (at + WINDOW >= part.length) break;
      h = (((h - ((part[at]! * top) % P) + P) % P) * B + part[at + WINDOW]!) % P;
    }
  }
  return found / sampled;
}
