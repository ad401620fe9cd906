import type { TrainOptions } from '../options';

/** Learning rate at step s (0-based): linear warm-up from lr/warmup to lr, then half-cosine to lr·finalFraction. */
export function learningRate(o: TrainOptions['optimizer'], step: number, totalSteps: number): number {
  const { kind, warmup, finalFraction } = o.schedule;
  if (kind === 'constant') return o.lr;
  if (step < warmup) return (o.lr * (step + 1)) / warmup;
  const span = Math.max(1, totalSteps - warmup - 1);
  const progress = Math.min(1, (step - warmup) / span);
  const end = o.lr * finalFraction;
  return end + (o.lr - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
