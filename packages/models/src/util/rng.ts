import seedrandom from 'seedrandom';

/**
 * Seeded randomness for a run. Every consumer forks a named stream, so adding a new random
 * draw in one place does not shift the numbers another place sees.
 */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | null = null;

  constructor(readonly seed: string | number) {
    this.prng = seedrandom(String(seed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng.quick();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal via Box–Muller (the spare value is kept, so draws come in pairs). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A 31-bit integer seed for tf.random* ops, which take a numeric seed. */
  tensorSeed(): number {
    return this.int(2 ** 31 - 1);
  }

  /** An independent stream derived from this stream's seed and a label. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  shuffle<T>(items: T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
