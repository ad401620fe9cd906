/*
 * The reproduction tables of a plugin README, from repro.json and the stored results
 * (packages/plugin-<plugin>/repro-results.json): every verdict is recomputed here from the
 * stored summaries by lib/repro-verdict.js, so a change of the rule or of a row's claim
 * re-renders without re-running anything (`node scripts/repro.js <plugin> --render`).
 *
 * A stored result: { date, source?, checkpoint?, arch?, failure?, rowSeconds?, runs: [{ label,
 * overrides, summary, kind, seconds, env?, lossTrace? }] }. `env` is the backend and kernel path
 * the run was measured on (backend, threads, adapter, kernels, per-head attention), from its env.json;
 * results transcribed from an earlier README have none and say so.
 */
const { rowVerdict, shortKind, show, get, fieldValue } = require('./repro-verdict');

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** "wasm, 2 threads, libopenblas.so.0 (SkylakeX)" — what a timing was measured on, as recorded. */
function envLabel(env) {
  if (!env || !env.backend) return 'backend not recorded';
  const parts = [env.backend];
  if (env.threads) parts.push(`${env.threads} threads`);
  if (env.adapter) parts.push(env.adapter.description || env.adapter.vendor || 'GPU adapter');
  // The kernels behind the matrix products (issue 24): XNNPACK, or the system BLAS on the wasm heap.
  if (env.matrixProducts) parts.push(typeof env.matrixProducts === 'string' ? env.matrixProducts : `${env.matrixProducts.library}${env.matrixProducts.core ? ` (${env.matrixProducts.core})` : ''}`);
  if (env.perHeadAttention === false) parts.push('per-head attention off');
  return parts.join(', ');
}

const TIMING = /^(msPerStep|secondsPerSentence|cpuSecondsPerSentence|seconds)$/;

/** A run's fields as `name value`, timings labelled with what they were measured on. */
function describeRun(run, fields) {
  const summary = run.summary || {};
  return fields
    .filter((f) => f === 'trajectory' || fieldValue(summary, f) !== undefined)
    .map((f) => {
      if (f === 'trajectory') return (summary.snapshots || []).map((s) => `a${s.step} ${show(s.decoded)}`).join('; ');
      const name = f.replace(/^perDepth\.(\d+)\./, (_, i) => `depth ${get(summary, `perDepth.${i}.depth`)} `);
      const value = fieldValue(summary, f);
      return `${name} ${show(value)}${TIMING.test(f) && value !== undefined ? ` (${envLabel(run.env)})` : ''}`;
    })
    .join(', ');
}

/** A run that did not finish: its status and the first sentence of its error. */
function unfinished(summary) {
  return `${summary.status}${summary.error ? ` (${String(summary.error).split('. ')[0]})` : ''}`;
}

/**
 * The cells of one row in one column: measured, verdict and seconds. `key` is the result's key
 * (`id` or `id@slug`), `keyOf(id)` the key of another row in the same column.
 */
function columnCells(e, store, key, keyOf, model) {
  const source = e.runsOf ? store[keyOf(e.runsOf)] : store[key];
  const runs = source && source.runs ? source.runs : [];
  const runsOf = (id) => {
    const r = store[keyOf(id)];
    return r && r.runs && r.runs.length ? r.runs : undefined;
  };
  if (!runs.length) {
    const failure = source && source.failure;
    const what = failure || (e.runsOf ? `row ${e.runsOf} not run yet` : e.notRunHere && !model ? 'not run here' : 'not run yet');
    // A row that cannot run on this machine (e.g. it needs the Hub's weights) says so and why.
    const verdict = e.deferTo ? rowVerdict(e, [], { runsOf }).row.text : e.notRunHere && !model ? cell(`Not run here: ${e.notRunHere}`) : '—';
    return { measured: what, verdict, seconds: 0, envs: [] };
  }
  const kinds = [...new Set(runs.map((r) => shortKind(r.kind || { network: 'untrained', embeddings: 'untrained' })))];
  const lines = runs.map((r) => {
    const finished = !r.summary.status || r.summary.status === 'completed';
    const body = finished ? describeRun(r, e.fields) : unfinished(r.summary);
    const kind = kinds.length > 1 ? `${shortKind(r.kind)}: ` : '';
    return r.label ? `${r.label}: ${kind}${cell(body)}` : `${kind}${cell(body)}`;
  });
  // A row measured on an earlier checkpoint than the column's says which.
  const stale = model && model.dir && source.checkpoint && source.checkpoint !== model.relDir ? `(on ${source.checkpoint}) ` : '';
  const from = e.runsOf ? `the runs of row ${e.runsOf} — ` : '';
  const measured = `${stale}${from}${kinds.length === 1 ? `${kinds[0]}: ` : ''}${lines.join('<br>')}`;
  const v = rowVerdict(e, runs, { runsOf });
  const verdict = v.row ? cell(v.row.text) : v.perRun.map((p) => `${p.label ? `${p.label}: ` : ''}${cell(p.text)}`).join('<br>');
  const seconds = e.runsOf ? 0 : source.rowSeconds !== undefined ? source.rowSeconds : runs.reduce((a, r) => a + (r.seconds || 0), 0);
  return { measured, verdict, seconds, envs: e.runsOf ? [] : runs.map((r) => envLabel(r.env)), rowTotal: source.rowSeconds !== undefined };
}

/**
 * A column title for a model trained here: the checkpoint(s) its stored results were measured on
 * (training may have written newer ones since), else the checkpoint on disk, not yet run.
 */
function columnTitle(m, store, entries) {
  const measured = new Map();
  for (const e of entries) {
    const r = store[`${e.id}@${m.slug}`];
    if (r && r.arch) measured.set(r.arch.step, r.arch);
  }
  const archs = [...measured.values()];
  if (!archs.length) return m.arch ? `trained here, ${m.arch.blocks} × ${m.arch.width} (not run yet)` : `trained here (${m.slug}, not trained yet)`;
  const when = (a) => (a.step ? `${a.step} steps${typeof a.evalLoss === 'number' ? `, held-out ${a.evalLoss.toFixed(2)} nats` : ''}` : 'step not recorded');
  return `trained here, ${archs[0].blocks} × ${archs[0].width} (${archs.map(when).join('; ')})${m.arch ? '' : ', checkpoint not on this machine'}`;
}

/** The tables (one per source of claims) for a plugin's README. */
function renderTables(entries, store, trainedModels) {
  // A row that reads another row's runs (`runsOf`) has none stored under its own id.
  const runsSource = (id) => entries.find((x) => x.id === id)?.runsOf ?? id;
  const header = [
    `| claim | the claim is about | config | measured as configured (model kind: values) | verdict | ${trainedModels.map((m) => columnTitle(m, store, entries)).join(' | ')} | time |`,
    `|---|---|---|---|---|${trainedModels.map(() => '---|').join('')}---|`,
  ];
  const about = (e) => {
    const s = e.seedModel || 'untrained';
    return typeof s === 'string' ? s : `${s.network} network, ${s.embeddings} embeddings`;
  };
  const tableRow = (e) => {
    const extra = e.args && e.args.length ? `<br>with \`${e.args.join(' ')}\`` : '';
    // `command`: a row measured by a harness outside repscope (run by hand; repro.js runs nothing for it).
    const config = e.config ? `[${e.config.split('/').pop()}](../../${e.config})${extra}` : e.command ? `\`${cell(e.command)}\`` : '—';
    const own = columnCells(e, store, e.id, (id) => runsSource(id));
    const trained = trainedModels.map((m) => (e.trainedHere ? columnCells(e, store, `${e.id}@${m.slug}`, (id) => `${runsSource(id)}@${m.slug}`, m) : undefined));
    // Each column's own time and backend: the columns were measured on different days and builds.
    const timed = [['as configured', own], ...trained.map((c) => ['trained here', c])].filter(([, c]) => c && c.seconds > 0);
    const columnTime = ([label, c]) => {
      const envs = [...new Set(c.envs)].join('; ') || 'backend not recorded';
      // A transcribed total covered every column the table had then, retired ones included.
      return `${timed.length > 1 ? `${label}: ` : ''}${c.seconds.toFixed(0)} s (${c.rowTotal ? 'transcribed: the total of the columns shown then; ' : ''}${envs})`;
    };
    const time = timed.length ? timed.map(columnTime).join('<br>') : '—';
    const trainedCells = trained.map((c) => (c ? `${c.measured}<br>**${c.verdict}**` : '—'));
    return `| ${cell(e.claim)}${e.note ? `<br><sub>${cell(e.note)}</sub>` : ''} | ${about(e)} | ${config} | ${own.measured} | ${own.verdict} | ${trainedCells.join(' | ')} | ${time} |`;
  };
  const sources = [...new Set(entries.map((e) => e.source || 'seed'))];
  return sources
    .map((source) => {
      const title = source === 'seed' ? "#### The seed's claims" : `#### Claims from other sources: ${source}`;
      return [title, '', ...header, ...entries.filter((e) => (e.source || 'seed') === source).map(tableRow)].join('\n');
    })
    .join('\n\n');
}

module.exports = { renderTables, columnCells, describeRun, envLabel };
