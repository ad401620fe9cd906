import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCli } from '../../../test-support/cli';
import { FuzzCase, fixedCases, fuzzCases, PEAK_RSS_KIB_SOURCE } from '@repscope/test-support';
import { quadraticEntry, tempDir, writePluginPackage } from '../../../test-support/plugin-packages';

/**
 * Seeded fuzz of malformed configs and overrides through the built CLI (dist/). For every
 * case: exit 2, one line naming the file or override (and key), no stack trace, no control
 * bytes, no run folder, bounded peak memory, and Object.prototype untouched inside the CLI
 * process. REPSCOPE_FUZZ_SEED / REPSCOPE_FUZZ_CASES reproduce or widen a run.
 */
const SEED = Number(process.env['REPSCOPE_FUZZ_SEED'] ?? 13);
const COUNT = Number(process.env['REPSCOPE_FUZZ_CASES'] ?? 20);
/** A validate or refused run of the quadratic plugin peaks near 150 MB; the 50 MB YAML took 950 MB before the size cap. */
const MAX_RSS_MB = 400;

/** Preloaded into the CLI: records peak RSS and whether Object.prototype changed, at exit. */
const PROBE = `
const fs = require('node:fs');
const before = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
process.on('exit', () => {
  const probe = {};
  const polluted = Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== before || probe.polluted !== undefined || probe.x !== undefined;
  fs.writeFileSync(process.env.REPSCOPE_PROBE_OUT, JSON.stringify({ maxRssMb: ${PEAK_RSS_KIB_SOURCE} / 1024, polluted }));
});
`;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  probe?: { maxRssMb: number; polluted: boolean };
  dir: string;
}

function writeProject(c: FuzzCase): string {
  const dir = tempDir('repscope-fuzz-');
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(true) });
  for (const [name, content] of Object.entries(c.files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (content === 'fifo') execFileSync('mkfifo', [file]);
    else if (typeof content === 'object' && !Buffer.isBuffer(content)) {
      fs.writeFileSync(file, 'experiment: quadratic\n');
      fs.truncateSync(file, content.sparseBytes);
    } else fs.writeFileSync(file, content);
  }
  return dir;
}

async function runCase(c: FuzzCase, probeFile: string): Promise<Outcome> {
  const dir = writeProject(c);
  const out = path.join(dir, 'probe.json');
  const args = [c.command, c.config, ...c.args, ...(c.command === 'validate' ? [] : ['--out', 'out'])];
  const cli = startCli(args, dir, { NODE_OPTIONS: `--require ${probeFile}`, REPSCOPE_PROBE_OUT: out });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
  const result = await cli.done;
  clearTimeout(timer);
  const probe = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined;
  return { ...result, probe, dir };
}

/** Run cases two at a time (the CLI's start-up dominates each case). */
async function runAll(cases: FuzzCase[], probeFile: string): Promise<Outcome[]> {
  const results: Outcome[] = new Array(cases.length);
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i]!, probeFile);
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}

describe(`config fuzz (seed ${SEED}, ${COUNT} generated cases + fixed ones)`, () => {
  const cases = [...fixedCases(), ...fuzzCases(SEED, COUNT)];
  let outcomes: Outcome[] = [];

  beforeAll(async () => {
    const probeFile = path.join(tempDir('repscope-probe-'), 'probe.js');
    fs.writeFileSync(probeFile, PROBE);
    outcomes = await runAll(cases, probeFile);
  }, 300_000);

  afterAll(() => {
    for (const o of outcomes) fs.rmSync(o.dir, { recursive: true, force: true });
  });

  test.each(cases.map((c, i) => [i, c.name, c.command] as const))('#%i %s (%s)', (i) => {
    const c = cases[i]!;
    const o = outcomes[i]!;
    const context = `${c.command} ${c.config} ${c.args.join(' ')}\nstdout: ${o.stdout}\nstderr: ${o.stderr}`;
    expect({ code: o.code, context }).toEqual({ code: 2, context });
    const lines = o.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(c.names);
    expect(o.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(o.stderr + o.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(fs.existsSync(path.join(o.dir, 'out'))).toBe(false);
    expect(fs.existsSync(path.join(o.dir, 'runs'))).toBe(false);
    expect(o.probe).toBeDefined();
    expect(o.probe!.polluted).toBe(false);
    expect(o.probe!.maxRssMb).toBeLessThan(MAX_RSS_MB);
  });
});
