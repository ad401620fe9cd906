import { SingleBar } from 'cli-progress';

export type ProgressMode = 'bar' | 'lines' | 'silent';

import type { ProgressReporter } from '../plugin/api';

export type { ProgressReporter };

export function defaultProgressMode(stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  return stream.isTTY ? 'bar' : 'lines';
}

export function formatLoss(loss: number): string {
  return Math.abs(loss) >= 1e4 || (Math.abs(loss) < 1e-3 && loss !== 0) ? loss.toExponential(3) : loss.toPrecision(5);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * Time left from the recent rate, not the average since the start: steps measured over the
 * last `windowMs` (at least the last two updates), so an estimate follows a machine that
 * slows down or speeds up under load instead of trailing the whole run's history.
 */
export class EtaEstimator {
  private samples: { t: number; step: number }[] = [];

  constructor(
    private readonly windowMs = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  reset(step = 0): void {
    this.samples = [{ t: this.now(), step }];
  }

  record(step: number): void {
    const t = this.now();
    this.samples.push({ t, step });
    while (this.samples.length > 2 && t - this.samples[1]!.t >= this.windowMs) this.samples.shift();
  }

  /** Seconds until `total`, or NaN while there is no rate yet. */
  secondsLeft(total: number): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.step <= first.step || last.t <= first.t) return NaN;
    const stepsPerSecond = (last.step - first.step) / ((last.t - first.t) / 1000);
    return Math.max(0, total - last.step) / stepsPerSecond;
  }
}

/**
 * A bar on a terminal; on CI/logs, a plain line at most every `intervalMs` and one final line
 * when the work stops. The loss is shown only once the run has reported one.
 */
export function createProgress(mode: ProgressMode, prefix: string, stream: NodeJS.WritableStream = process.stderr, intervalMs = 10_000, now: () => number = Date.now): ProgressReporter {
  if (mode === 'silent') return { start() {}, update() {}, stop() {} };
  const eta = new EtaEstimator(20_000, now);
  if (mode === 'bar') {
    let bar: SingleBar | undefined;
    let total = 0;
    let lossText = '';
    return {
      start(t, label) {
        bar?.stop();
        total = t;
        lossText = '';
        eta.reset();
        bar = new SingleBar({
          format: `${prefix}${label ? ' ' + label : ''} |{bar}| {value}/{total}{lossText} | ETA {etaText}`,
          stream: stream as NodeJS.WriteStream,
          hideCursor: false,
          fps: 5,
        });
        bar.start(total, 0, { lossText, etaText: '?' });
      },
      update(done, values) {
        const step = Math.min(done, total);
        eta.record(step);
        if (values?.loss !== undefined) lossText = ` | loss ${formatLoss(values.loss)}`;
        bar?.update(step, { lossText, etaText: formatSeconds(eta.secondsLeft(total)) });
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
  let total = 0;
  let label = '';
  let started = 0;
  let lastPrint = 0;
  let lastStep = 0;
  let lastLoss: number | undefined;
  let finished = true;
  const print = (step: number, final: boolean): void => {
    const elapsed = (now() - started) / 1000;
    const loss = lastLoss === undefined ? '' : ` loss ${formatLoss(lastLoss)}`;
    const tail = final ? (step >= total ? ' done' : ' stopped') : ` eta ${formatSeconds(eta.secondsLeft(total))}`;
    stream.write(`${prefix}${label ? ' ' + label : ''} step ${step}/${total}${loss} elapsed ${formatSeconds(elapsed)}${tail}\n`);
    lastPrint = now();
  };
  return {
    start(t, l) {
      total = t;
      label = l ?? '';
      started = now();
      lastPrint = started;
      lastStep = 0;
      lastLoss = undefined;
      finished = false;
      eta.reset();
    },
    update(done, values) {
      // Metrics logged before the plugin starts its progress have no total and no start time.
      if (finished) return;
      const step = Math.min(done, total);
      lastStep = step;
      eta.record(step);
      if (values?.loss !== undefined) lastLoss = values.loss;
      if (now() - lastPrint >= intervalMs) print(step, false);
    },
    stop() {
      // Once per start: a second stop (the plugin's, then the runner's) prints nothing more.
      if (!finished && total > 0) print(lastStep, true);
      finished = true;
    },
  };
}
