import * as path from 'node:path';
import { SweepFiles } from '../../sweep/aggregate';
import { readManifest } from '../../sweep/manifest';
import { formatStatus, sweepStatus } from '../../sweep/status';

/** `repscope report DIR`: rebuild a sweep folder's sweep.json, sweep.csv and report.html from its job folders. */
export async function reportCommand(dir: string): Promise<number> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  await new SweepFiles(path.resolve(dir), manifest, (line) => problems.push(line)).update();
  if (problems.length) {
    process.stderr.write(problems.join('\n') + '\n');
    return 1;
  }
  process.stdout.write(`${path.resolve(dir, 'report.html')}\n${path.resolve(dir, 'sweep.csv')}\n`);
  return 0;
}

/** `repscope status DIR`: the same as `repscope sweep DIR --status`. */
export async function statusCommand(dir: string): Promise<number> {
  process.stdout.write(formatStatus(dir, sweepStatus(dir)));
  return 0;
}
