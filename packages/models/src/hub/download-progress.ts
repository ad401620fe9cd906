import { SingleBar } from 'cli-progress';
import { formatDecimalBytes } from '../util/format-bytes';

/** What the downloader tells the person waiting. */
export interface DownloadReporter {
  /** A file starts (or resumes at `from` bytes). */
  start(label: string, total: number, from: number): void;
  advance(bytes: number): void;
  finish(): void;
  /** A one-off line (waiting for another process, resuming after a drop…). */
  note(line: string): void;
}

export type DownloadProgressMode = 'bar' | 'lines' | 'silent';

/** A bar per file (bytes, rate, ETA) on a terminal; plain lines otherwise, at most every 10 s. */
export function createDownloadReporter(mode: DownloadProgressMode, stream: NodeJS.WritableStream = process.stderr): DownloadReporter {
  const write = (line: string) => stream.write(line + '\n');
  if (mode === 'silent') return { start() {}, advance() {}, finish() {}, note() {} };
  if (mode === 'bar') {
    let bar: SingleBar | undefined;
    let value = 0;
    let from = 0;
    let started = 0;
    return {
      start(label, total, resumedAt) {
        value = from = resumedAt;
        started = Date.now();
        bar = new SingleBar({
          format: `${label} |{bar}| {done}/{size} | {rate} | ETA {eta_formatted}`,
          stream: stream as NodeJS.WriteStream,
          hideCursor: false,
          etaBuffer: 200,
          fps: 5,
        });
        bar.start(total, from, { done: formatDecimalBytes(from), size: formatDecimalBytes(total), rate: '-' });
      },
      advance(bytes) {
        value += bytes;
        const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
        bar?.update(value, { done: formatDecimalBytes(value), rate: `${formatDecimalBytes((value - from) / seconds)}/s` });
      },
      finish() {
        bar?.stop();
        bar = undefined;
      },
      note: write,
    };
  }
  let label = '';
  let total = 0;
  let value = 0;
  let from = 0;
  let started = 0;
  let lastPrint = 0;
  // A retry calls finish() after a failed attempt that may never have started a file: no stale "done" line then.
  let active = false;
  return {
    start(l, t, f) {
      active = true;
      label = l;
      total = t;
      value = from = f;
      started = lastPrint = Date.now();
      write(`downloading ${label} (${formatDecimalBytes(total)}${from ? `, resuming at ${formatDecimalBytes(from)}` : ''})`);
    },
    advance(bytes) {
      value += bytes;
      if (Date.now() - lastPrint < 10_000) return;
      lastPrint = Date.now();
      write(`  ${label}: ${formatDecimalBytes(value)}/${formatDecimalBytes(total)} (${Math.floor((100 * value) / Math.max(1, total))}%)`);
    },
    finish() {
      if (!active) return;
      active = false;
      const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
      write(`  ${label}: done, ${formatDecimalBytes(value - from)} in ${seconds.toFixed(1)} s (${formatDecimalBytes((value - from) / seconds)}/s)`);
    },
    note: write,
  };
}

export function defaultDownloadMode(stream: NodeJS.WriteStream = process.stderr): DownloadProgressMode {
  return stream.isTTY ? 'bar' : 'lines';
}
