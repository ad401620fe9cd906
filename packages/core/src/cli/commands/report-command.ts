import * as path from 'node:path';
import { SweepFiles } from '../../sweep/aggregate';
import { readSweepManifest } from '../../sweep/manifest';

/** `repscope report DIR`: rebuild a sweep folder's sweep.json, sweep.csv and report.html from its job folders. */
export async function reportCommand(dir: string): Promise<number> {
  const manifest = readSweepManifest(dir);
  const problems: string[] = [];
  await new SweepFiles(path.resolve(dir), manifest, (line) => problems.push(line)).update();
  if (problems.length) {
    process.stderr.write(problems.join('\n') + '\n');
    return 1;
  }
  process.stdout.write(`${path.resolve(dir, 'report.html')}\n${path.resolve(dir, 'sweep.csv')}\n`);
  return 0;
}
