/*
 * Verdicts for reproduction tables, by one rule (the project's): "Reproduced" only when the
 * measured quantity meets the seed's claim on the same kind of model (trained vs untrained)
 * and settings; otherwise "Not reproduced" with the number, or "Differs: …" saying how.
 *
 * A repro.json entry states its claim as data:
 *   "seedModel": "trained" | "untrained"        what the seed (or other source) ran
 *   "expect": [{ "field": "tokenAccuracy", "op": "ge", "value": 0.8, "says": "4/5 tokens" }]
 * ops: eq, ne, lt, le, gt, ge (numbers or booleans), "ratio-lt"/"ratio-gt" compare field ÷ other.
 */

const get = (obj, dotted) => dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

function show(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(3);
  if (typeof v === 'string') return '`' + JSON.stringify(v).slice(1, -1) + '`';
  // Arrays of measurements (per patch row, per position) at the same precision as one number.
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `[${v.map(show).join(', ')}]`;
  return JSON.stringify(v);
}

function holds(e, summary) {
  const actual = get(summary, e.field);
  const target = e.other ? get(summary, e.other) : e.value;
  if (actual === undefined || actual === null) return { ok: false, actual };
  const ops = {
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    lt: (a, b) => a < b,
    le: (a, b) => a <= b,
    gt: (a, b) => a > b,
    ge: (a, b) => a >= b,
  };
  if (!ops[e.op]) throw new Error(`repro.json: unknown op "${e.op}" for ${e.field}`);
  return { ok: ops[e.op](actual, target), actual, target };
}

/**
 * The kind of model a run used, from its resolved config: "trained" for published weights
 * (an `hf:` reference, the seed's own models), "trained here" for a local checkpoint (a small
 * model from plugin-train: trained, but not the seed's model), else "untrained".
 */
function runModelKind(config) {
  const model = config && config.model;
  if (!model) return 'untrained';
  const weights = [model, model.vit, model.gpt2, model.embeddings].filter(Boolean).map((p) => p.weights).filter((w) => typeof w === 'string');
  if (!weights.length) return 'untrained';
  return weights.every((w) => w.startsWith('hf:')) ? 'trained' : 'trained here';
}

/** One summary's verdict against an entry's expectations. */
function verdictFor(entry, summary, config) {
  const runKind = runModelKind(config);
  if (summary.status && summary.status !== 'completed') {
    // A diverged or failed run measured nothing the claim names; say what happened instead.
    const what = `the run ${summary.status}${summary.error ? `: ${String(summary.error).split('. ')[0]}` : ''}`;
    const seedKindOf = entry.seedModel || 'untrained';
    return { verdict: runKind !== seedKindOf ? `Differs: run on ${runKind} models, the claim is about ${seedKindOf} ones; ${what}` : `Not reproduced: ${what}`, runKind };
  }
  const checks = (entry.expect || []).map((e) => ({ e, ...holds(e, summary) }));
  const measured = [...new Set(checks.map(({ e, actual, target }) => `${e.field} = ${show(actual)}${e.other ? ` vs ${e.other} = ${show(target)}` : ''}`))].join('; ');
  const failed = checks.filter((c) => !c.ok);
  const seedKind = entry.seedModel || 'untrained';
  if (!checks.length) return { verdict: 'No verdict (the claim has no measurable form in repro.json)', runKind };
  if (runKind !== seedKind) {
    const outcome = failed.length ? `the claim does not hold here either (${measured})` : `the claim holds here (${measured})`;
    return { verdict: `Differs: run on ${runKind} models, the claim is about ${seedKind} ones; ${outcome}`, runKind };
  }
  if (failed.length) {
    return { verdict: `Not reproduced: ${failed.map(({ e, actual }) => `${e.field} = ${show(actual)} (claim: ${e.says || `${e.op} ${show(e.value)}`})`).join('; ')}`, runKind };
  }
  return { verdict: `Reproduced (${measured})`, runKind };
}

module.exports = { verdictFor, runModelKind, show, get };
