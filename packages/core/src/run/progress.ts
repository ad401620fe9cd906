import { SingleBar } from 'cli-progress';

export type ProgressMode = 'bar' | 'lines' | 'silent';

export interface ProgressReporter {
  start(total: number, label?: string): void;
  update(step: number, values?: { loss?: number }): void;
  stop(): void;
}

export function defaultProgressMode(stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  return stream.isTTY ? 'bar' : 'lines';
}

function formatLoss(loss: number | undefined): string {
  if (loss === undefined) return '-';
  return Math.abs(loss) >= 1e4 || (Math.abs(loss) < 1e-3 && loss !== 0) ? loss.toExponential(3) : loss.toPrecision(5);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** A bar on a terminal; on CI/logs, a plain line at most every `intervalMs` and at the end. */
export function createProgress(mode: ProgressMode, prefix: string, stream: NodeJS.WritableStream = process.stderr, intervalMs = 10_000): ProgressReporter {
  if (mode === 'silent') return { start() {}, update() {}, stop() {} };
  if (mode === 'bar') {
    let bar: SingleBar | undefined;
    return {
      start(total, label) {
        bar?.stop();
        bar = new SingleBar({
          format: `${prefix}${label ? ' ' + label : ''} |{bar}| {value}/{total} | loss {loss} | ETA {eta_formatted}`,
          stream: stream as NodeJS.WriteStream,
          hideCursor: false,
          etaBuffer: 50,
          fps: 5,
        });
        bar.start(total, 0, { loss: '-' });
      },
      update(step, values) {
        bar?.update(step, { loss: formatLoss(values?.loss) });
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
  const print = (step: number): void => {
    const elapsed = (Date.now() - started) / 1000;
    const eta = step > 0 ? (elapsed / step) * (total - step) : NaN;
    stream.write(`${prefix}${label ? ' ' + label : ''} step ${step}/${total} loss ${formatLoss(lastLoss)} elapsed ${formatSeconds(elapsed)} eta ${formatSeconds(eta)}\n`);
    lastPrint = Date.now();
  };
  return {
    start(t, l) {
      total = t;
      label = l ?? '';
      started = Date.now();
      lastPrint = started;
      lastStep = 0;
    },
    update(step, values) {
      lastStep = step;
      if (values?.loss !== undefined) lastLoss = values.loss;
      if (Date.now() - lastPrint >= intervalMs) print(step);
    },
    stop() {
      if (total > 0) print(lastStep);
      total = 0;
    },
  };
}
