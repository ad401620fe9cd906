import * as fs from 'node:fs';
import { openRegularFile } from '@repscope/models';

/** At most this much of a metrics.jsonl is read (its end: the newest rows). */
export const MAX_METRICS_BYTES = 4 * 1024 * 1024;

export interface MetricsTail {
  rows: Record<string, unknown>[];
  /** True when the file was longer than the cap and only its end was read. */
  truncated: boolean;
  problem?: string;
}

/**
 * The last `maxBytes` of a metrics.jsonl, parsed line by line (a partial first or last line
 * and lines that are not JSON objects are skipped). Opened as a regular file only, without
 * blocking (a FIFO or a device is refused at once, never read).
 */
export function readMetricsTail(file: string, maxBytes = MAX_METRICS_BYTES): MetricsTail {
  if (!fs.existsSync(file)) return { rows: [], truncated: false };
  let fd: number;
  try {
    fd = openRegularFile(file);
  } catch (err) {
    return { rows: [], truncated: false, problem: (err as Error).message };
  }
  let text: string;
  let truncated = false;
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    truncated = size > maxBytes;
    const buf = Buffer.alloc(length);
    const read = fs.readSync(fd, buf, 0, length, size - length);
    text = buf.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  const lines = text.split('\n');
  if (truncated) lines.shift();
  const rows: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(v as Record<string, unknown>);
    } catch {
      // a line being written, or not a metrics row
    }
  }
  return { rows, truncated };
}

/** The newest metrics row (reads only the file's last 64 KiB). */
export function lastMetricsRow(file: string): Record<string, unknown> | undefined {
  const { rows } = readMetricsTail(file, 64 * 1024);
  return rows[rows.length - 1];
}
