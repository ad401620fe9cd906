import { tf } from '@repscope/core';
import type { DecayGroup } from '../options';

export function decayGroupOf(name: string): DecayGroup {
  // GPT-2's and the Llama family's Hugging Face names.
  if (['wte.weight', 'wpe.weight', 'lm_head.weight', 'model.embed_tokens.weight'].includes(name)) return 'embeddings';
  if (/ln_(\d|f)\.|(^|\.)(norm|[a-z_]*layernorm|q_norm|k_norm)\.weight$/.test(name)) return 'layer-norms';
  if (name.endsWith('.bias')) return 'biases';
  return 'linear';
}

export interface AdamWSettings {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decayOn: DecayGroup[];
}

/**
 * AdamW as PyTorch computes it (decoupled decay p ← p·(1 − lr·λ) first, then the bias-
 * corrected Adam step), so a run here and torch.optim.AdamW agree step for step.
 * Moments are tensors the optimizer owns; `state()`/`load()` move them to and from a checkpoint.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  /** Completed updates (PyTorch's `step` in the bias corrections). */
  step = 0;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly s: AdamWSettings,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.keep(tf.zerosLike(p)));
      this.v.set(name, tf.keep(tf.zerosLike(p)));
    }
  }

  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step++;
    const [b1, b2] = this.s.betas;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const decay = this.s.weightDecay > 0 && this.s.decayOn.includes(decayGroupOf(name));
      const [m, v] = tf.tidy(() => [tf.add(tf.mul(this.m.get(name)!, b1), tf.mul(g, 1 - b1)), tf.add(tf.mul(this.v.get(name)!, b2), tf.mul(tf.square(g), 1 - b2))]);
      tf.tidy(() => {
        const base = decay ? tf.mul(p, 1 - lr * this.s.weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v!), Math.sqrt(c2)), this.s.eps);
        p.assign(tf.sub(base, tf.mul(tf.div(m!, denom), lr / c1)));
      });
      this.m.get(name)!.dispose();
      this.v.get(name)!.dispose();
      this.m.set(name, m!);
      this.v.set(name, v!);
    }
  }

  /** Moments by name (`m.<param>`, `v.<param>`), host copies for a checkpoint. */
  async state(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of this.m) out[`m.${name}`] = { shape: t.shape, data: (await t.data()) as Float32Array };
    for (const [name, t] of this.v) out[`v.${name}`] = { shape: t.shape, data: (await t.data()) as Float32Array };
    return out;
  }

  load(step: number, read: (key: string) => Float32Array): void {
    this.step = step;
    for (const moments of [this.m, this.v]) {
      const prefix = moments === this.m ? 'm' : 'v';
      for (const [name, old] of moments) {
        moments.set(name, tf.keep(tf.tensor(read(`${prefix}.${name}`), old.shape)));
        old.dispose();
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
