/*
 * `pnpm repro <plugin>`: re-run a plugin's reproduction table. Reads
 * packages/plugin-<plugin>/repro.json (claims, the configs that test them and the claim in
 * measurable form), runs every config (sweeps with `repscope sweep`) into
 * runs/repro/<plugin>/<id>/, and writes the measured values and verdicts (scripts/lib/
 * repro-verdict.js) into the plugin README between the REPRO markers: the seed's claims in
 * one table, claims from other sources in another.
 *
 *   node scripts/repro.js inversion [--only id1,id2@tiny] [--jobs 2] [--collect]
 *
 * `--only` takes entry ids (the entry and its trained-here variants) or variants (`id@tiny`,
 * `id@4x256`, see lib/trained-here.js; `id@configured`, the entry alone).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { verdictFor, show, get } = require('./lib/repro-verdict');
const { TRAINED_HERE, checkpointOf, architectureOf, columnTitle, trainedHereOverrides } = require('./lib/trained-here');

const root = path.resolve(__dirname, '..');
const YAML = require(require.resolve('yaml', { paths: [path.join(root, 'packages', 'core')] }));
const [plugin, ...rest] = process.argv.slice(2);
if (!plugin) {
  console.error('usage: node scripts/repro.js <plugin> [--only id,…] [--jobs N] [--collect]');
  process.exit(2);
}
const opt = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const only = opt('--only')?.split(',');
const jobs = opt('--jobs') ?? '1';
// --collect: rebuild the tables from the run directories already there, running nothing.
const collectOnly = rest.includes('--collect');
const pkg = path.join(root, 'packages', `plugin-${plugin}`);
const entries = JSON.parse(fs.readFileSync(path.join(pkg, 'repro.json'), 'utf8'));
const cli = path.join(root, 'packages', 'core', 'dist', 'cli', 'bin.js');

const describe = (summary, fields) =>
  fields
    .map((f) =>
      f === 'trajectory'
        ? (summary.snapshots ?? []).map((s) => `a${s.step} ${show(s.decoded)}`).join('; ')
        : `${f.replace(/^perDepth\.(\d+)\./, (_, i) => `depth ${get(summary, `perDepth.${i}.depth`)} `)} ${show(get(summary, f))}`,
    )
    .join(', ');

const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
const readConfig = (dir) => (fs.existsSync(path.join(dir, 'config.yaml')) ? YAML.parse(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8')) : undefined);

/** Every finished run of an entry: { label, dir, summary }. */
function runsOf(entry, out) {
  if (!entry.sweep) {
    const summary = readJson(path.join(out, 'summary.json'));
    return summary ? [{ label: '', dir: out, summary }] : [];
  }
  const records = readJson(path.join(out, 'sweep.json')) ?? [];
  return records
    .filter((rec) => rec.summary)
    .map((rec) => ({
      label: Object.entries(rec.overrides)
        .map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'object' ? (v.kind ?? JSON.stringify(v)) : v}`)
        .join(' '),
      dir: path.resolve(out, String(rec.dir ?? '')),
      summary: rec.summary,
    }));
}

// Rows measured earlier are kept (runs/repro/<plugin>/results.json), so --only refreshes some.
const cacheFile = path.join(root, 'runs', 'repro', plugin, 'results.json');
let cache = readJson(cacheFile) ?? {};

/**
 * Record one row's result. Two `pnpm repro` processes may run at once (different --only), so
 * the file is re-read just before each write and replaced by rename: each writes only its rows.
 */
function saveResult(key, result) {
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  cache = { ...(readJson(cacheFile) ?? {}), [key]: result };
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(cache, null, 2));
  fs.renameSync(tmp, cacheFile);
}
const trainedModels = TRAINED_HERE.map((m) => {
  const dir = checkpointOf(root, m);
  return { ...m, dir, arch: architectureOf(dir) };
});

/** The config as `repscope validate --print` resolves it (job 0 of a sweep). */
function resolvedConfig(e) {
  const r = spawnSync(process.execPath, [cli, 'validate', path.join(root, e.config), ...(e.args ?? []), '--print'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${e.config}: ${(r.stderr || r.stdout).trim()}`);
  return YAML.parse(r.stdout);
}

/** Every run of the table: each entry as configured, then on each trained-here checkpoint it opts into. */
const variants = [];
// --only names entries (every variant) or single variants (`id@tiny`; `id@configured` is the
// entry as configured, without its trained-here variants).
const wanted = (key, e) => !only || only.includes(e.id) || only.includes(key);
for (const e of entries) {
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
    resolved ??= { config: resolvedConfig(e), grid: YAML.parse(fs.readFileSync(path.join(root, e.config), 'utf8'), { logLevel: 'error' })?.sweep?.grid };
    variants.push({ key: `${e.id}@${m.slug}`, e, extra: trainedHereOverrides(resolved.config, resolved.grid, m.dir, m.arch), checkpoint: path.relative(root, m.dir) });
  }
}

for (const { key, e, extra, checkpoint } of variants) {
  const out = path.join(root, 'runs', 'repro', plugin, key);
  const configArgs = [path.join(root, e.config), '--out', out, ...(e.args ?? []), ...extra];
  const args = e.sweep ? ['sweep', ...configArgs, '--jobs', jobs] : ['run', ...configArgs];
  let failure;
  if (!collectOnly) {
    if (!e.sweep) fs.rmSync(out, { recursive: true, force: true });
    console.log(`\n== ${key}: repscope ${args.join(' ')}`);
    const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) failure = `run failed (exit ${r.status})`;
  } else if (!fs.existsSync(out)) continue;
  const runs = runsOf(e, out);
  const rows = runs.map((run) => {
    const { verdict, runKind } = verdictFor(e, run.summary, readConfig(run.dir) ?? readConfig(out));
    const finished = !run.summary.status || run.summary.status === 'completed';
    const measured = finished ? describe(run.summary, e.fields) : `${run.summary.status}${run.summary.error ? ` (${String(run.summary.error).split('. ')[0]})` : ''}`;
    return { label: run.label, runKind, measured, verdict, seconds: run.summary.durationSeconds ?? 0 };
  });
  // The checkpoint a trained-here row was measured on, from its own run (not today's latest).
  const used = checkpoint && runs.length ? readConfig(runs[0].dir)?.model?.weights : undefined;
  saveResult(key, { rows, checkpoint: used ? path.relative(root, path.resolve(runs[0].dir, used)) : checkpoint, failure: runs.length ? undefined : failure ?? 'no finished run', date: new Date().toISOString().slice(0, 10) });
}

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
function measuredCells(key, model) {
  const result = cache[key];
  if (!result || !result.rows?.length) return { measured: result?.failure ?? 'not run with the current config', verdict: '—', seconds: 0 };
  const joined = (f) => result.rows.map((r) => (r.label ? `${r.label}: ${cell(r[f])}` : cell(r[f]))).join('<br>');
  // A row measured on an earlier checkpoint than the column's says which.
  const stale = model && result.checkpoint && result.checkpoint !== path.relative(root, model.dir) ? `(on ${result.checkpoint}) ` : '';
  return { measured: `${stale}${joined('runKind')}: ${joined('measured')}`, verdict: joined('verdict'), seconds: result.rows.reduce((a, r) => a + r.seconds, 0) };
}
function tableRow(e) {
  const extra = e.args?.length ? `<br>with \`${e.args.join(' ')}\`` : '';
  const config = `[${path.basename(e.config)}](../../${e.config})${extra}`;
  const own = measuredCells(e.id);
  const trained = trainedModels.map((m) => (e.trainedHere ? measuredCells(`${e.id}@${m.slug}`, m) : undefined));
  const seconds = [own, ...trained].reduce((a, c) => a + (c ? c.seconds : 0), 0);
  const trainedCells = trained.map((c) => (c ? `${c.measured}<br>**${c.verdict}**` : '—'));
  return `| ${cell(e.claim)}${e.note ? `<br><sub>${cell(e.note)}</sub>` : ''} | ${e.seedModel ?? 'untrained'} | ${config} | ${own.measured} | ${own.verdict} | ${trainedCells.join(' | ')} | ${seconds > 0 ? `${seconds.toFixed(0)} s` : '—'} |`;
}
const header = [
  `| claim | the claim is about | config | measured as configured (model kind: values) | verdict | ${trainedModels.map((m) => columnTitle(m, m.arch)).join(' | ')} | time |`,
  `|---|---|---|---|---|${trainedModels.map(() => '---|').join('')}---|`,
];
const sources = [...new Set(entries.map((e) => e.source ?? 'seed'))];
const sections = sources.map((source) => {
  const title = source === 'seed' ? "#### The seed's claims" : `#### Claims from other sources: ${source}`;
  return [title, '', ...header, ...entries.filter((e) => (e.source ?? 'seed') === source).map(tableRow)].join('\n');
});
const tables = sections.join('\n\n');
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
