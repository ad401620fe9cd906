/*
 * Decoders at large vocabularies: for random N(0, 0.02) float32 token embeddings of the new
 * families' sizes, each decoder's setup time, decode time (1 and 16 positions, k = 1 and 10) and
 * memory, one fresh process per row (`decoder-case.js`). Writes its table into bench/README.md
 * between the DECODERS markers; part of `pnpm bench` (`--only decoders` runs it alone).
 *
 *   node bench/decoders-bench.js [--backend cpu|wasm|…] [--only TEXT] [--quick]
 *
 * `--only TEXT` keeps the rows whose label contains TEXT (e.g. `262144`, `pinv`) and prints
 * instead of writing; `--quick` times one decode each on the smallest shape and prints.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SHAPES = [
  { vocab: 128256, d: 576, label: '128256 × 576' },
  { vocab: 151936, d: 1024, label: '151936 × 1024' },
  { vocab: 262144, d: 640, label: '262144 × 640' },
];
const DECODERS = ['pinv', 'nearest-l2', 'nearest-cosine'];
/** One decode of many rows (64 restarts × 16 positions), on the largest shape, for the row chunking. */
const MANY = { batch: 64, positions: 16, k: 10 };

const fmt = (v, digits = 1) => (v === undefined || v === null ? '–' : v.toFixed(digits));

function runChild(c, env) {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'decoder-case.js'), JSON.stringify(c)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: 60 * 60 * 1000,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function runDecoderBench({ machine, backend = 'auto', quick = false, only } = {}) {
  const backends = backend === 'auto' ? ['cpu', 'wasm'] : [backend];
  const shapes = quick ? SHAPES.slice(0, 1) : SHAPES;
  const rows = [];
  const loadBefore = os.loadavg()[0];
  for (const shape of shapes) {
    for (const be of backends) {
      for (const decoder of DECODERS) {
        const label = `${shape.label} ${decoder} ${be}`;
        if (only && !label.includes(only)) continue;
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-decoder-bench-'));
        try {
          const big = decoder === 'pinv' && shape === SHAPES[SHAPES.length - 1] && !quick;
          const c = { vocab: shape.vocab, d: shape.d, decoder, backend: be, reps: quick ? 1 : 3, minMs: quick ? 0 : 1500, ...(big ? { many: MANY } : {}) };
          // The first process finds an empty disk cache (what a first run pays); the second, for pinv, a warm one.
          const js = runChild(c, { REPSCOPE_CACHE_DIR: cacheDir });
          const hit = decoder === 'pinv' && !js.error ? runChild({ ...c, setupOnly: true }, { REPSCOPE_CACHE_DIR: cacheDir }) : undefined;
          const row = { shape, decoder, backend: be, js, hit, load: os.loadavg()[0] };
          rows.push(row);
          const times = js.decode ? js.decode.map((x) => `${x.positions}p k${x.k} ${fmt(x.ms)}`).join(', ') : '';
          console.log(`${label.padEnd(36)} ${js.error ? 'ERROR ' + js.error : `setup ${fmt(js.setupMs / 1000, 2)} s${hit ? ` (cache hit ${fmt(hit.setupMs / 1000, 2)} s)` : ''}; ${times} ms; W ${fmt(js.rssWithWMB, 0)} MB, setup +${fmt(js.setupPeakMB - js.rssWithWMB, 0)} MB, decode +${fmt(js.decodePeakMB - js.rssAfterSetupMB, 0)} MB${js.many ? `; ${MANY.batch}×${MANY.positions} rows ${fmt(js.many.ms)} ms, +${fmt(js.many.peakMB - js.rssAfterSetupMB, 0)} MB` : ''}`} (load ${row.load.toFixed(1)})`);
        } finally {
          fs.rmSync(cacheDir, { recursive: true, force: true });
        }
      }
    }
  }
  const ms = (r, n, k) => fmt(r.js.decode?.find((x) => x.positions === n && x.k === k)?.ms);
  const recovered = rows.every((r) => !r.js.decode || r.js.decode.every((x) => x.recovered === 1));
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine ?? `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`}; load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (the last column: after each row).`,
    `Random N(0, 0.02) float32 W_E; inputs are rows of W_E plus noise (${recovered ? 'every decode recovered every token' : 'NOT every token recovered: see the bench output'}). Setup: building the decoder with an empty disk cache (pinv: hash, WᵀW, inversion, cache write), and for pinv again in a new process with the cache warm. Decode: median ms of one \`decode\` of 1 × n positions. Memory from /proc/self/status: RSS with W alone, then the peak above it during setup and during the decodes.`,
    '',
    '| W_E [V × d] | decoder | backend | setup s | setup s, cache hit | 1 pos k=1 ms | 1 pos k=10 ms | 16 pos k=1 ms | 16 pos k=10 ms | RSS with W | setup peak | decode peak | load |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      r.js.error
        ? `| ${r.shape.label} | ${r.decoder} | ${r.backend} | error: ${r.js.error} |  |  |  |  |  |  |  |  | ${r.load.toFixed(1)} |`
        : `| ${r.shape.label} | ${r.decoder} | ${r.backend}${r.js.threads ? ` (${r.js.threads} threads)` : ''} | ${fmt(r.js.setupMs / 1000, 2)} | ${r.hit ? fmt(r.hit.setupMs / 1000, 2) : '–'} | ${ms(r, 1, 1)} | ${ms(r, 1, 10)} | ${ms(r, 16, 1)} | ${ms(r, 16, 10)} | ${fmt(r.js.rssWithWMB, 0)} MB | +${fmt(r.js.setupPeakMB - r.js.rssWithWMB, 0)} MB | +${fmt(r.js.decodePeakMB - r.js.rssAfterSetupMB, 0)} MB | ${r.load.toFixed(1)} |`,
    ),
  ];
  const many = rows.filter((r) => r.js.many);
  if (many.length) {
    table.push(
      '',
      `One decode of ${MANY.batch} restarts × ${MANY.positions} positions (${MANY.batch * MANY.positions} rows, k = ${MANY.k}), pinv, no warm-up:`,
      '',
      '| W_E [V × d] | backend | ms | decode peak |',
      '|---|---|---:|---:|',
      ...many.map((r) => `| ${r.shape.label} | ${r.backend} | ${fmt(r.js.many.ms)} | +${fmt(r.js.many.peakMB - r.js.rssAfterSetupMB, 0)} MB |`),
    );
  }
  const text = table.join('\n');
  const readme = path.join(__dirname, 'README.md');
  const current = fs.readFileSync(readme, 'utf8');
  const begin = '<!-- DECODERS:BEGIN -->';
  const end = '<!-- DECODERS:END -->';
  if (!quick && !only && current.includes(begin) && current.includes(end)) {
    fs.writeFileSync(readme, current.slice(0, current.indexOf(begin) + begin.length) + '\n' + text + '\n' + current.slice(current.indexOf(end)));
    console.log(`\nwrote the decoder table to ${path.relative(process.cwd(), readme)}`);
  } else {
    console.log('\n' + text);
  }
  return rows.some((r) => r.js.error || (r.hit && r.hit.error));
}

module.exports = { runDecoderBench };

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  process.exitCode = runDecoderBench({ backend: option('--backend', 'auto'), quick: args.includes('--quick'), only: option('--only', undefined) }) ? 1 : 0;
}
