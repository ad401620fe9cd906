import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@repscope/models';

/** One summary value that differs between two runs of the same config. */
export interface SummaryMismatch {
  path: string;
  actual: unknown;
  expected: unknown;
}

/** Keys that measure the machine, not the science: never compared. */
const MACHINE_KEYS = new Set(['msPerStep', 'durationSeconds', 'seconds', 'backend', 'artifacts']);

/**
 * Where a run's summary differs from a reference run's (the same config on another backend):
 * a number by more than `tolerance` relative — to the largest |value| of its array when it is
 * in one (so an entry near zero is not held to a relative bound it cannot meet), else to
 * itself — and anything else (text, token ids' order, booleans, nulls) exactly. Timing keys
 * and the keys in `skip` are not compared.
 */
export function summaryMismatches(actual: unknown, expected: unknown, options: { tolerance?: number; skip?: string[] } = {}): SummaryMismatch[] {
  const tolerance = options.tolerance ?? 1e-4;
  const skip = new Set([...MACHINE_KEYS, ...(options.skip ?? [])]);
  const out: SummaryMismatch[] = [];
  const walk = (a: unknown, e: unknown, path: string, scale: number) => {
    if (typeof e === 'number' && typeof a === 'number') {
      if (Number.isNaN(e) ? !Number.isNaN(a) : Math.abs(a - e) > tolerance * Math.max(Math.abs(e), scale) && a !== e) out.push({ path, actual: a, expected: e });
      return;
    }
    if (Array.isArray(e) && Array.isArray(a)) {
      if (a.length !== e.length) {
        out.push({ path: `${path}.length`, actual: a.length, expected: e.length });
        return;
      }
      const arrayScale = Math.max(0, ...e.map((v) => (typeof v === 'number' && Number.isFinite(v) ? Math.abs(v) : 0)));
      e.forEach((v, i) => walk(a[i], v, `${path}[${i}]`, arrayScale));
      return;
    }
    if (e && a && typeof e === 'object' && typeof a === 'object') {
      for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
        if (!skip.has(key)) walk((a as Record<string, unknown>)[key], (e as Record<string, unknown>)[key], path ? `${path}.${key}` : key, 0);
      }
      return;
    }
    if (a !== e) out.push({ path, actual: a, expected: e });
  };
  walk(actual, expected, '', 0);
  return out;
}

/**
 * Destroy the webgpu backend's device, then return to cpu: Dawn keeps the process alive while
 * a device exists, so a test file that used webgpu calls this in afterAll.
 */
export async function releaseWebGpu(): Promise<void> {
  // The registry, not findBackend: that would start a registered backend that never ran.
  const webgpu = (tf.engine() as unknown as { registry: Record<string, { device?: { destroy(): void } } | undefined> }).registry['webgpu'];
  webgpu?.device?.destroy();
  await selectBackend('cpu');
}
