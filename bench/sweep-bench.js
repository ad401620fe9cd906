/*
 * Sweep throughput: the same 4-job sweep (the quick-start inversion of one GPT-2 small block +
 * LM head, wasm, seeds 0–3) run with --jobs 1 and --jobs 2, each job with its share of the
 * cores (REPSCOPE_WASM_THREADS = cores ÷ jobs), and, for comparison, the old behaviour where
 * every worker starts one thread per core. Jobs per minute, from the wall time of the whole
 * `repscope sweep` command (model builds and process starts included, as a user sees them).
 * Writes the table into bench/README.md between the SWEEP markers.
 *
 *   node bench/sweep-bench.js [--steps N] [--repeats R]
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = option('--steps', 150);
const repeats = option('--repeats', 1);
const root = path.resolve(__dirname, '..');
// The `repscope` command as @repscope/core installs it (its bin), found by package name.
const cli = path.join(path.dirname(require.resolve('@repscope/core/package.json')), require('@repscope/core/package.json').bin.repscope);
const cores = os.availableParallelism();
const JOBS = 4;

const CASES = [
  { label: '1 job at a time, all cores (--jobs 1)', jobs: 1, threads: undefined },
  { label: `2 jobs at a time, ${Math.max(1, Math.floor(cores / 2))} thread(s) each (--jobs 2, the share)`, jobs: 2, threads: undefined, share: true },
  { label: `2 jobs at a time, ${Math.min(8, cores)} threads each (before: every worker took every core)`, jobs: 2, threads: String(Math.min(8, cores)) },
  { label: '1 job at a time, 1 thread', jobs: 1, threads: '1' },
];

function runCase(c) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-sweep-bench-'));
  const env = { ...process.env, REPSCOPE_WASM_THREADS: c.threads ?? '' };
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'sweep', path.join(root, 'configs', 'quickstart.yaml'), `seed=0,1,2,3`, `steps=${steps}`, 'decode.at=[]', '--backend', 'wasm', '--jobs', String(c.jobs), '--out', path.join(out, 'sw'), '--progress', 'silent'], { env, encoding: 'utf8', timeout: 60 * 60 * 1000 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const threads = JSON.parse(fs.readFileSync(path.join(out, 'sw', '00-seed=0', 'env.json'), 'utf8')).backend.threads;
  fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`sweep failed (${c.label}): ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`);
  return { seconds, threads };
}

function main() {
  if (!fs.existsSync(cli)) throw new Error('build first: npx -y pnpm@9 build');
  const load = () => os.loadavg()[0].toFixed(1);
  const machine = `${cores} × ${os.cpus()[0].model.trim()}, Node ${process.version}`;
  console.log(`machine: ${machine}; ${JOBS} jobs × ${steps} steps; load average before: ${load()}`);
  const rows = [];
  for (const c of CASES) {
    const times = [];
    let threads;
    for (let i = 0; i < repeats; i++) {
      const r = runCase(c);
      times.push(r.seconds);
      threads = r.threads;
    }
    const best = Math.min(...times);
    rows.push({ ...c, seconds: best, perMinute: (JOBS / best) * 60, threads, load: load() });
    console.log(`${c.label}: ${best.toFixed(1)} s, ${((JOBS / best) * 60).toFixed(2)} jobs/min, wasm threads per job ${threads}, load ${load()}`);
  }
  const base = rows[0].perMinute;
  const single = rows[3].perMinute;
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; ${JOBS} jobs of ${steps} steps (configs/quickstart.yaml, wasm); best of ${repeats}; 1-minute load average after each case shown (the machine was shared).`,
    '',
    '| case | wasm threads per job | wall time (s) | jobs / min | vs --jobs 1 | vs 1 job on 1 thread | load |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${r.threads} | ${r.seconds.toFixed(1)} | ${r.perMinute.toFixed(2)} | ${(r.perMinute / base).toFixed(2)}× | ${(r.perMinute / single).toFixed(2)}× | ${r.load} |`),
  ].join('\n');
  const readme = path.join(__dirname, 'README.md');
  const begin = '<!-- SWEEP:BEGIN -->';
  const end = '<!-- SWEEP:END -->';
  const text = fs.readFileSync(readme, 'utf8');
  if (text.includes(begin)) {
    fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
    console.log(`\nwritten to ${readme}`);
  } else console.log('\n' + table);
}

main();
