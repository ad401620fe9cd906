import { SingleBar } from 'cli-progress';

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

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n >= 100 ? 0 : 1)} ${units[i]}`;
}

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
        bar.start(total, from, { done: formatBytes(from), size: formatBytes(total), rate: '-' });
      },
      advance(bytes) {
        value += bytes;
        const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
        bar?.update(value, { done: formatBytes(value), rate: `${formatBytes((value - from) / seconds)}/s` });
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
  return {
    start(l, t, f) {
      label = l;
      total = t;
      value = from = f;
      started = lastPrint = Date.now();
      write(`downloading ${label} (${formatBytes(total)}${from ? `, resuming at ${formatBytes(from)}` : ''})`);
    },
    advance(bytes) {
      value += bytes;
      if (Date.now() - lastPrint < 10_000) return;
      lastPrint = Date.now();
      write(`  ${label}: ${formatBytes(value)}/${formatBytes(total)} (${Math.floor((100 * value) / Math.max(1, total))}%)`);
    },
    finish() {
      const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
      write(`  ${label}: done, ${formatBytes(value - from)} in ${seconds.toFixed(1)} s (${formatBytes((value - from) / seconds)}/s)`);
    },
    note: write,
  };
}

export function defaultDownloadMode(stream: NodeJS.WriteStream = process.stderr): DownloadProgressMode {
  return stream.isTTY ? 'bar' : 'lines';
}
