/*
 * `pnpm repro <plugin>`: re-run a plugin's reproduction table. Reads
 * packages/plugin-<plugin>/repro.json (claims, the configs that test them and the claim in
 * measurable form), runs every config (sweeps with `repscope sweep`) into
 * runs/repro/<plugin>/<id>/, stores each run's summary, model kind, backend and loss trace in
 * packages/plugin-<plugin>/repro-results.json (committed: the tables are re-rendered from it),
 * and writes the measured values and verdicts (scripts/lib/repro-verdict.js) into the plugin
 * README between the REPRO markers: the seed's claims in one table, claims from other sources
 * in another.
 *
 *   node scripts/repro.js inversion [--only id1,id2@brown] [--jobs 2] [--collect | --render]
 *
 * `--only` takes entry ids (the entry and its trained-here variants) or variants (`id@brown`,
 * see lib/trained-here.js; `id@configured`, the entry alone).
 * `--collect` re-reads the run directories already under runs/repro/ (running nothing);
 * `--render` runs nothing and reads no run directory: it recomputes every verdict from the
 * stored results with the current rule and repro.json, and rewrites the tables.
 * Rows with `command` instead of `config` are measured by a harness outside repscope (run by
 * hand, results stored in repro-results.json); rows with `notRunHere` say why they cannot run
 * on this machine (their verdict reads "Not run here: …" until a result is stored).
 * Rows with `"trainedHere": true` also run once per model of lib/trained-here.js, with
 * `"trainedHereArgs": { "<slug>": ["key=value", …] }` added for that model where it needs more
 * (e.g. a prompt inside its reduced vocabulary).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { modelKindOf } = require('./lib/repro-verdict');
const { renderTables } = require('./lib/repro-table');
const { TRAINED_HERE, checkpointOf, architectureOf, trainedHereOverrides } = require('./lib/trained-here');

const root = path.resolve(__dirname, '..');
const [plugin, ...rest] = process.argv.slice(2);
if (!plugin) {
  console.error('usage: node scripts/repro.js <plugin> [--only id,…] [--jobs N] [--collect | --render]');
  process.exit(2);
}
const opt = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const only = opt('--only')?.split(',');
const jobs = opt('--jobs') ?? '1';
const collectOnly = rest.includes('--collect');
const renderOnly = rest.includes('--render');
const pkg = path.join(root, 'packages', `plugin-${plugin}`);
const entries = JSON.parse(fs.readFileSync(path.join(pkg, 'repro.json'), 'utf8'));
const cli = path.join(root, 'packages', 'core', 'dist', 'cli', 'bin.js');

const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
const loadYaml = () => require(require.resolve('yaml', { paths: [path.join(root, 'packages', 'core')] }));
const readConfig = (dir) => (fs.existsSync(path.join(dir, 'config.yaml')) ? loadYaml().parse(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8')) : undefined);

/** The backend and kernel path a run was measured on, from its env.json (and this process's environment). */
function envOf(dir) {
  const env = readJson(path.join(dir, 'env.json'));
  if (!env || !env.backend) return undefined;
  return {
    backend: env.backend.name,
    threads: env.backend.threads ?? undefined,
    adapter: env.backend.adapter ?? undefined,
    matrixProducts: env.backend.matrixProducts ?? undefined,
    perHeadAttention: env.backend.perHeadAttention ?? perHeadAttentionAt(env.gitCommit, env.backend.matrixProducts),
    gitCommit: env.gitCommit,
  };
}

/**
 * For runs whose env.json predates its `perHeadAttention` field: what their commit's rule was.
 * Before f41eb79 attention went per head whatever ran the products; from it, only where the
 * system BLAS does not run them (REPSCOPE_PER_HEAD_ATTENTION was not recorded then: the rule's
 * answer is taken). Undefined where the commit is unknown here.
 */
function perHeadAttentionAt(commit, matrixProducts) {
  const sha = typeof commit === 'string' ? commit.replace(/\+dirty$/, '') : '';
  if (!/^[0-9a-f]{7,40}$/.test(sha)) return undefined;
  const after = batchedAttentionCommit(sha);
  if (after === undefined) return undefined;
  return !after || matrixProducts === null || typeof matrixProducts !== 'object';
}

const afterBatchedAttention = new Map();
/** Whether `sha` contains f41eb79 (undefined where git does not know it); one git call per commit. */
function batchedAttentionCommit(sha) {
  if (!afterBatchedAttention.has(sha)) {
    const status = spawnSync('git', ['merge-base', '--is-ancestor', 'f41eb79', sha], { cwd: root }).status;
    afterBatchedAttention.set(sha, status === 0 ? true : status === 1 ? false : undefined);
  }
  return afterBatchedAttention.get(sha);
}

/** First and last logged loss (per batch where the metrics have one), or undefined. */
function lossTraceOf(dir) {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return undefined;
  const byBatch = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      continue;
    }
    if (!('loss' in m)) continue;
    const loss = m.loss === null ? NaN : m.loss;
    const key = m.batch ?? 0;
    const t = byBatch.get(key);
    if (t) t.last = loss;
    else byBatch.set(key, { first: loss, last: loss, ...(m.batch !== undefined ? { batch: m.batch } : {}) });
  }
  const traces = [...byBatch.values()];
  return traces.length === 0 ? undefined : traces.length === 1 ? traces[0] : traces;
}

/** A summary without what the tables never read (artifact lists, top-k tables of early snapshots, per-token ids). */
function slim(summary) {
  const s = { ...summary };
  delete s.artifacts;
  delete s.summaryRoles;
  if (Array.isArray(s.snapshots)) s.snapshots = s.snapshots.map((x, i, all) => (i === all.length - 1 ? x : { step: x.step, decoded: x.decoded }));
  return s;
}

/** Every finished run of an entry: { label, overrides, summary, kind, seconds, env, lossTrace }. */
function runsOf(entry, out) {
  const one = (dir, summary, overrides, label) => ({
    label,
    overrides,
    summary: slim(summary),
    kind: modelKindOf(readConfig(dir) ?? readConfig(out)),
    seconds: summary.durationSeconds ?? 0,
    env: envOf(dir),
    lossTrace: lossTraceOf(dir),
  });
  if (!entry.sweep) {
    const summary = readJson(path.join(out, 'summary.json'));
    return summary ? [one(out, summary, {}, '')] : [];
  }
  const records = readJson(path.join(out, 'sweep.json')) ?? [];
  return records
    .filter((rec) => rec.summary)
    .map((rec) =>
      one(
        path.resolve(out, String(rec.dir ?? '')),
        { ...rec.summary, status: rec.summary.status ?? rec.status },
        rec.overrides,
        Object.entries(rec.overrides)
          .map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'object' ? (v.kind ?? JSON.stringify(v)) : v}`)
          .join(' '),
      ),
    );
}

// The stored results, committed beside repro.json: --only refreshes some rows, --render all verdicts.
const storeFile = path.join(pkg, 'repro-results.json');
let store = readJson(storeFile) ?? {};

/**
 * Record one row's result. Two `pnpm repro` processes may run at once (different --only), so
 * the file is re-read just before each write and replaced by rename: each writes only its rows.
 */
function saveResult(key, result) {
  store = { ...(readJson(storeFile) ?? {}), [key]: result };
  const tmp = `${storeFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(store, null, 1) + '\n');
  fs.renameSync(tmp, storeFile);
}
const trainedModels = TRAINED_HERE.map((m) => {
  const dir = checkpointOf(root, m);
  return { ...m, dir, relDir: dir && path.relative(root, dir), arch: architectureOf(dir) };
});

/** The config as `repscope validate --print` resolves it (job 0 of a sweep). */
function resolvedConfig(e) {
  const r = spawnSync(process.execPath, [cli, 'validate', path.join(root, e.config), ...(e.args ?? []), '--print'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${e.config}: ${(r.stderr || r.stdout).trim()}`);
  return loadYaml().parse(r.stdout);
}

if (!renderOnly) {
  /** Every run of the table: each entry as configured, then on each trained-here checkpoint it opts into. */
  const variants = [];
  // --only names entries (every variant) or single variants (`id@brown`; `id@configured` is the
  // entry as configured, without its trained-here variants). Rows with `runsOf` reuse another
  // row's runs and run nothing.
  const wanted = (key, e) => !only || only.includes(e.id) || only.includes(key);
  // Rows measured by a harness outside repscope (`command`, e.g. a PyTorch script) are run by
  // hand and their results stored; this script only renders them.
  for (const e of entries.filter((x) => x.command && wanted(x.id, x))) console.log(`(${e.id}: not run by this script — run by hand: ${e.command})`);
  for (const e of entries.filter((x) => !x.runsOf && !x.command)) {
    if (wanted(e.id, e) || only?.includes(`${e.id}@configured`)) variants.push({ key: e.id, e, extra: [] });
    if (!e.trainedHere) continue;
    // Resolving a config spawns the CLI: once per entry, not once per checkpoint.
    let resolved;
    for (const m of trainedModels) {
      if (!wanted(`${e.id}@${m.slug}`, e)) continue;
      if (!m.arch) {
        console.log(`(${e.id}: no checkpoint at ${m.weights} — ${m.trainedWith} makes it)`);
        continue;
      }
      resolved ??= { config: resolvedConfig(e), grid: loadYaml().parse(fs.readFileSync(path.join(root, e.config), 'utf8'), { logLevel: 'error' })?.sweep?.grid };
      // `trainedHereArgs: { slug: [...] }`: what one checkpoint needs besides (e.g. a prompt inside its reduced vocabulary).
      const own = e.trainedHereArgs?.[m.slug] ?? [];
      variants.push({ key: `${e.id}@${m.slug}`, e, extra: [...trainedHereOverrides(resolved.config, resolved.grid, m.dir, m.arch), ...own], model: m });
    }
  }

  for (const { key, e, extra, model } of variants) {
    const out = path.join(root, 'runs', 'repro', plugin, key);
    const configArgs = [path.join(root, e.config), '--out', out, ...(e.args ?? []), ...extra];
    const args = e.sweep ? ['sweep', ...configArgs, '--jobs', jobs] : ['run', ...configArgs];
    let failure;
    // A sweep's folder is kept so an interrupted sweep resumes, but only for the same arguments:
    // with others (a new checkpoint, a changed config) the sweep refuses the folder, and its
    // old runs must not be collected as this row's.
    const argsFile = path.join(out, 'repro-args.json');
    if (!collectOnly) {
      const sameSweep = e.sweep && JSON.stringify(readJson(argsFile)) === JSON.stringify(args);
      if (!sameSweep) fs.rmSync(out, { recursive: true, force: true });
      console.log(`\n== ${key}: repscope ${args.join(' ')}`);
      const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status !== 0) failure = `run failed (exit ${r.status})`;
      if (e.sweep && fs.existsSync(out)) fs.writeFileSync(argsFile, JSON.stringify(args) + '\n');
    } else if (!fs.existsSync(out)) continue;
    const runs = runsOf(e, out);
    // The checkpoint a trained-here row was measured on, from its own run (not today's latest).
    const firstDir = e.sweep ? path.resolve(out, String((readJson(path.join(out, 'sweep.json')) ?? []).find((rec) => rec.summary)?.dir ?? '')) : out;
    const used = model && runs.length ? readConfig(firstDir)?.model : undefined;
    const weights = used && (used.weights ?? used.gpt2?.weights);
    saveResult(key, {
      date: new Date().toISOString().slice(0, 10),
      source: collectOnly ? 'collected from runs/repro' : 'run',
      // The architecture and step of the checkpoint the run read (the newest one may have moved on since).
      ...(model ? { checkpoint: weights ? path.relative(root, path.resolve(firstDir, weights)) : model.relDir, arch: (weights && architectureOf(path.resolve(firstDir, weights))) || model.arch } : {}),
      ...(runs.length ? {} : { failure: failure ?? 'no finished run' }),
      runs,
    });
  }
}

const tables = renderTables(entries, store, trainedModels);
const readme = path.join(pkg, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const begin = '<!-- REPRO:BEGIN -->';
const end = '<!-- REPRO:END -->';
if (text.includes(begin)) {
  fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + tables + '\n' + text.slice(text.indexOf(end)));
  console.log(`\nwrote the tables to ${path.relative(root, readme)}`);
} else {
  console.log('\n' + tables);
}
