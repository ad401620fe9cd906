import * as fs from 'node:fs';

export type MetricsRecord = { step: number } & Record<string, unknown>;

/**
 * On resume, metrics.jsonl still holds the lines the interrupted run logged after its last
 * checkpoint; those steps are about to be re-run, so they are dropped (a torn last line too).
 * Rewritten in place (same file, truncated), because the run's logger already has it open
 * for appending. Returns the kept records.
 */
export function pruneMetricsAfter(file: string, step: number): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  const kept: MetricsRecord[] = [];
  const lines: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let record: MetricsRecord;
    try {
      record = JSON.parse(line) as MetricsRecord;
    } catch {
      continue;
    }
    if (typeof record.step !== 'number' || record.step > step) continue;
    kept.push(record);
    lines.push(line);
  }
  fs.writeFileSync(file, lines.map((l) => l + '\n').join(''));
  return kept;
}
