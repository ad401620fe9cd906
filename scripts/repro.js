/*
 * `pnpm repro <plugin>`: re-run a plugin's reproduction table. Reads
 * packages/plugin-<plugin>/repro.json (claims and the configs that test them), runs every
 * config (sweeps with `repscope sweep`) into runs/repro/<plugin>/<id>/, and writes the
 * measured values into the plugin README between the REPRO markers.
 *
 *   node scripts/repro.js inversion [--only id1,id2] [--jobs 2]
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [plugin, ...rest] = process.argv.slice(2);
if (!plugin) {
  console.error('usage: node scripts/repro.js <plugin> [--only id,…] [--jobs N]');
  process.exit(2);
}
const opt = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const only = opt('--only')?.split(',');
const jobs = opt('--jobs') ?? '1';
// --collect: rebuild the table from the run directories already there, running nothing.
const collectOnly = rest.includes('--collect');
const pkg = path.join(root, 'packages', `plugin-${plugin}`);
const entries = JSON.parse(fs.readFileSync(path.join(pkg, 'repro.json'), 'utf8'));
const cli = path.join(root, 'packages', 'core', 'dist', 'cli', 'bin.js');

const get = (obj, dotted) => dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
const show = (v) => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(4);
  if (typeof v === 'string') return '`' + JSON.stringify(v).slice(1, -1) + '`';
  return JSON.stringify(v);
};
const describe = (summary, fields) =>
  fields
    .map((f) =>
      f === 'trajectory'
        ? (summary.snapshots ?? []).map((s) => `a${s.step} ${show(s.decoded)}`).join('; ')
        : `${f.replace(/^perDepth\.(\d+)\./, (_, i) => `depth ${get(summary, `perDepth.${i}.depth`)} `)} ${show(get(summary, f))}`,
    )
    .join(', ');

// Rows measured earlier are kept (runs/repro/<plugin>/results.json), so --only refreshes some.
const cacheFile = path.join(root, 'runs', 'repro', plugin, 'results.json');
const cache = fs.existsSync(cacheFile) ? JSON.parse(fs.readFileSync(cacheFile, 'utf8')) : {};
for (const e of entries) {
  if (only && !only.includes(e.id)) continue;
  const out = path.join(root, 'runs', 'repro', plugin, e.id);
  const config = path.join(root, e.config);
  const args = e.sweep ? ['sweep', config, '--out', out, '--jobs', jobs, ...(e.args ?? [])] : ['run', config, '--out', out, ...(e.args ?? [])];
  let seconds;
  let r = { status: 0 };
  if (collectOnly) {
    if (!fs.existsSync(out)) continue;
    const summaries = e.sweep
      ? (fs.existsSync(path.join(out, 'sweep.json')) ? JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) : []).map((rec) => rec.summary).filter(Boolean)
      : fs.existsSync(path.join(out, 'summary.json')) ? [JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'))] : [];
    seconds = summaries.reduce((a, x) => a + (x.durationSeconds ?? 0), 0);
  } else {
    if (!e.sweep) fs.rmSync(out, { recursive: true, force: true });
    console.log(`\n== ${e.id}: repscope ${args.join(' ')}`);
    const started = Date.now();
    r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    seconds = (Date.now() - started) / 1000;
  }
  let measured;
  if (e.sweep) {
    const records = fs.existsSync(path.join(out, 'sweep.json')) ? JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) : [];
    measured = records.map((rec) => `${Object.entries(rec.overrides).map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'object' ? v.kind ?? JSON.stringify(v) : v}`).join(' ')}: ${rec.summary ? describe(rec.summary, e.fields) : rec.status}`).join('<br>');
  } else {
    const file = path.join(out, 'summary.json');
    measured = fs.existsSync(file) ? describe(JSON.parse(fs.readFileSync(file, 'utf8')), e.fields) : `run failed (exit ${r.status})`;
  }
  cache[e.id] = { measured, seconds, date: new Date().toISOString().slice(0, 10) };
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(cache, null, 2));
}

const rows = entries
  .filter((e) => cache[e.id])
  .map((e) => {
    const extra = e.args?.length ? `<br>with \`${e.args.join(' ')}\`` : '';
    return `| ${e.claim} | [${path.basename(e.config)}](../../${e.config})${extra} | ${cache[e.id].measured} | ${cache[e.id].seconds.toFixed(0)} s |`;
  });
const table = ['| seed claim | config | measured (this machine) | time |', '|---|---|---|---|', ...rows].join('\n');
const readme = path.join(pkg, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const begin = '<!-- REPRO:BEGIN -->';
const end = '<!-- REPRO:END -->';
if (text.includes(begin)) {
  fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
  console.log(`\nwrote the table to ${path.relative(root, readme)}`);
} else {
  console.log('\n' + table);
}
