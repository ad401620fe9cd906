/*
 * Plot representations across training from the two sweeps of configs/train/across-training-*.yaml:
 * token accuracy and eq. 4 baseline (inversion), clamped-walk r and tangent residual (walks)
 * against training step, one line per depth. Writes packages/plugin-train/docs/across-training.svg
 * and prints a markdown table.
 *   node scripts/plot-across-training.js INVERSION_SWEEP_DIR[,MORE] WALKS_SWEEP_DIR[,MORE]
 */
const fs = require('node:fs');
const path = require('node:path');
// vega and vega-lite are @repscope/core's dependencies (it renders its reports with them); its
// public entry does not export the renderer, so this script renders the same way itself.
const corePackage = path.dirname(require.resolve('@repscope/core/package.json'));
const vega = require(require.resolve('vega', { paths: [corePackage] }));
const vegaLite = require(require.resolve('vega-lite', { paths: [corePackage] }));

/** A vega-lite spec as an SVG string, headless (as @repscope/core's report does). */
async function renderVegaLiteSvg(spec) {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// A run continued from another run's weights counts its steps from 0: STEP_OFFSETS="run-folder-name=150,…" adds the steps before it.
const OFFSETS = Object.fromEntries((process.env.STEP_OFFSETS || '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]));

function stepOf(weights) {
  const state = path.join(weights, 'train-state.json');
  const offset = Object.entries(OFFSETS).find(([run]) => weights.split(path.sep).includes(run))?.[1] ?? 0;
  if (fs.existsSync(state)) return offset + JSON.parse(fs.readFileSync(state, 'utf8')).step;
  const m = /step-(\d+)/.exec(weights);
  return m ? offset + Number(m[1]) : NaN;
}

/** Finished jobs of one or more sweep folders, read from each job's own files (a sweep cut short has a stale sweep.json). */
function jobs(dirs) {
  const out = [];
  for (const dir of dirs.split(',')) {
    for (const job of fs.readdirSync(dir)) {
      const summary = path.join(dir, job, 'summary.json');
      if (!fs.existsSync(summary)) continue;
      const config = fs.readFileSync(path.join(dir, job, 'config.yaml'), 'utf8');
      const s = JSON.parse(fs.readFileSync(summary, 'utf8'));
      if (s.status !== 'completed') continue;
      const weights = /^\s+weights: (.+)$/m.exec(config)[1].trim();
      const depth = Number(/^\s+depth: (\d+)$/m.exec(config)[1]);
      out.push({ summary: s, overrides: { 'model.weights': weights, 'model.depth': depth, method: s.method, walk: s.walk } });
    }
  }
  return out;
}

async function main() {
  const [invDir, walkDir] = process.argv.slice(2);
  const points = [];
  for (const j of jobs(invDir)) {
    const o = j.overrides;
    const base = { step: stepOf(o['model.weights']), depth: `depth ${o['model.depth']}` };
    if (o.method === 'gradient') {
      points.push({ ...base, panel: 'gradient inversion: token accuracy', value: j.summary.tokenAccuracy });
      points.push({ ...base, panel: 'gradient inversion: output distance / eq. 4 baseline', value: j.summary.outputDistance / j.summary.baselineDistance });
    } else {
      points.push({ ...base, panel: 'sequential inversion: token accuracy', value: j.summary.tokenAccuracy });
    }
  }
  for (const j of jobs(walkDir)) {
    const o = j.overrides;
    const base = { step: stepOf(o['model.weights']), depth: `depth ${o['model.depth']}` };
    if (o.walk === 'clamped') points.push({ ...base, panel: 'clamped walk: r = input / output distance', value: j.summary.ratio });
    else points.push({ ...base, panel: 'tangent walk: relative residual ‖G·v‖ (mean)', value: j.summary.orthogonalityResidual?.relativeMean });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: points.filter((p) => Number.isFinite(p.value)) },
    facet: { field: 'panel', type: 'nominal', title: null },
    columns: 2,
    spec: {
      width: 260,
      height: 160,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'depth', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  const out = path.resolve(__dirname, '..', 'packages', 'plugin-train', 'docs', 'across-training.svg');
  fs.writeFileSync(out, await renderVegaLiteSvg(spec));
  console.log(`wrote ${path.relative(process.cwd(), out)}\n`);
  const panels = [...new Set(points.map((p) => p.panel))];
  const keys = [...new Set(points.map((p) => `${p.step}|${p.depth}`))].sort((a, b) => Number(a.split('|')[0]) - Number(b.split('|')[0]) || a.localeCompare(b));
  console.log(`| step | depth | ${panels.join(' | ')} |`);
  console.log(`|---:|---|${panels.map(() => '---:').join('|')}|`);
  for (const k of keys) {
    const [step, depth] = k.split('|');
    const cells = panels.map((panel) => {
      const p = points.find((q) => `${q.step}|${q.depth}` === k && q.panel === panel);
      return p && Number.isFinite(p.value) ? Number(p.value).toPrecision(3) : '–';
    });
    console.log(`| ${step} | ${depth.replace('depth ', '')} | ${cells.join(' | ')} |`);
  }
}

main().catch((err) => {
  process.stderr.write(String(err.stack || err) + '\n');
  process.exit(1);
});
