import { RunDivergedError } from './run-errors';

/** Logged steps the loss must stay put for before a run is called frozen. */
export const FROZEN_MIN_STEPS = 10;
/** Relative change below which two losses count as the same value. */
const SAME = 1e-6;

/**
 * A loss that moved on the first step and then never again, while still far from zero, is
 * the signature of a step size so large that the input saturated the model (LayerNorm
 * normalises any huge input to the same output): every number is finite, yet nothing is
 * being optimised. Returns the divergence to report, or undefined for a healthy series.
 */
export function frozenLoss(series: { step: number; value: number }[] | undefined): RunDivergedError | undefined {
  if (!series || series.length < FROZEN_MIN_STEPS + 1) return undefined;
  const first = series[0]!.value;
  const frozen = series[1]!.value;
  const same = (a: number, b: number) => Math.abs(a - b) <= SAME * Math.max(Math.abs(a), Math.abs(b));
  if (!Number.isFinite(first) || !Number.isFinite(frozen) || same(first, frozen)) return undefined;
  // Converged (to ~0, relative to where it started) is success, not a freeze.
  if (Math.abs(frozen) <= SAME * Math.abs(first)) return undefined;
  if (!series.slice(2).every((p) => same(p.value, frozen))) return undefined;
  const last = series[series.length - 1]!;
  return new RunDivergedError(
    series[1]!.step,
    'loss',
    frozen,
    'The step size is likely so large that the input saturated the model: lower the learning rate.',
    `the loss stopped moving after step ${series[1]!.step} (frozen at ${frozen.toPrecision(6)} through step ${last.step})`,
  );
}
