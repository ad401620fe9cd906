/*
 * Verdicts for reproduction tables, by one rule (the project's):
 *
 *   Reproduced      the measured quantity meets the claim, on the same kind of model (network
 *                   and embeddings: trained, trained here, untrained) and the same settings as
 *                   the claim's source;
 *   Not reproduced  same kind and settings, the claim fails; the number is given;
 *   Differs         another kind of model or other settings; says which, and whether the claim
 *                   holds there anyway ("Differs: untrained network on untrained embeddings
 *                   (seed: trained embeddings); the claim holds here (…)");
 *   Inconclusive    the runs cannot test the claim: a run diverged or failed (status, a
 *                   non-finite loss, a loss that rose), a floor or ceiling leaves nothing to
 *                   measure (e.g. ≤ 1/5 tokens recovered at every depth), a ratio lacks a side
 *                   that reached its threshold, or the row defers to a run not made yet. A
 *                   diverged run is never evidence either way.
 *
 * A repro.json entry states its claim as data:
 *   "seedModel": "trained" | "untrained" | { "network": …, "embeddings": … }
 *       what the source ran; a string means network and embeddings alike.
 *   "expect": [{ "field", "op", "value" | "other" | "target", "says", "where"? }]   per job
 *       ops eq, ne, lt, le, gt, ge; `other` compares with another field of the same summary;
 *       `target` names a value computed from the summary (TARGETS below, e.g. the causal null);
 *       `where` limits the check to the sweep jobs whose overrides match.
 *   "untestable": [{ "field", "op", "value" | "target", "every"?, "says" }]
 *       a floor or ceiling: when it holds (for one job, or with `every` for every job of the row
 *       or of a trend's group) the claim cannot be tested → Inconclusive.
 *   "across": checks over several jobs (this row's, or another row's with `row`):
 *       { "kind": "trend", "field", "axis", "direction": "increasing" | "decreasing",
 *         "groupBy"?: [axis…], "tolerance"?, "says" }
 *       { "kind": "ratio", "field", "numerator": sel, "denominator": sel, "reduce"?: "min",
 *         "op", "value", "says" }   computed only when both sides reach a finite value
 *       { "kind": "aggregate", "field", "select"?: sel, "reduce": "min" | "max" | "mean",
 *         "nullMeans"?: "never", "op", "value", "says" }
 *       { "kind": "distinct", "field", "groupBy"?: [axis…], "says" }   a precondition: jobs of
 *         a group that agree in `field` make the claim untestable (Inconclusive)
 *     with sel = { "row"?: id, "where"?: { axis: value } }.
 *   "settingsDiffer": "…"    settings other than the source's (→ Differs, saying which)
 *   "caveat": "…"            appended to a Reproduced / Not reproduced verdict
 *   "deferTo": { "row"?, "why" }   this row alone cannot decide (e.g. one untuned learning
 *       rate): Inconclusive, naming the row that decides and its state (without `row`: `why`
 *       says what run would decide, none made yet).
 *   "lossFields": [...]     summary fields that must be finite (default finalLoss, outputDistance)
 *
 * An `expect` whose `where` matches no job that ran leaves the row Inconclusive (untested is
 * not passed).
 *
 * A run is { label, overrides, summary, kind: { network, embeddings, …names }, lossTrace? }.
 */

const get = (obj, dotted) => dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

function show(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(3);
  if (typeof v === 'string') return '`' + JSON.stringify(v).slice(1, -1) + '`';
  // Arrays of measurements (per patch row, per position) at the same precision as one number.
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `[${v.map(show).join(', ')}]`;
  return JSON.stringify(v);
}

// ---- model kinds ------------------------------------------------------------------------

const KINDS = ['trained', 'trained here', 'untrained'];

/** "trained" for published weights (`hf:`), "trained here" for a local checkpoint, else "untrained". */
function weightsKind(weights) {
  if (typeof weights !== 'string' || !weights) return 'untrained';
  return weights.startsWith('hf:') ? 'trained' : 'trained here';
}

/**
 * The kind of model a run used, from its resolved config, as two parts: the network and the
 * embeddings it reads. A token model's embeddings come with its checkpoint; the seed's MLPs
 * (`fcnet`, `mlp`) read GPT-2 token embeddings from `embeddings:`; a hybrid's GPT-2 stack reads
 * the ViT stem (patch projection and CLS), its embeddings.
 */
function modelKindOf(config) {
  const model = config && config.model;
  if (!model) return { network: 'untrained', embeddings: 'untrained' };
  if (model.kind === 'hybrid') {
    return { network: weightsKind(model.gpt2 && model.gpt2.weights), embeddings: weightsKind(model.vit && model.vit.weights), networkName: 'GPT-2 stack', embeddingsName: 'ViT stem' };
  }
  if (model.kind === 'fcnet' || model.kind === 'mlp') {
    return { network: weightsKind(model.weights), embeddings: weightsKind(model.embeddings && model.embeddings.weights), networkName: model.kind === 'mlp' ? 'MLP' : 'FCNet' };
  }
  const k = weightsKind(model.weights);
  return { network: k, embeddings: k };
}

/** The kind the claim is about: `seedModel` as a string (both parts) or { network, embeddings }. */
function claimKindOf(entry) {
  const s = entry.seedModel || 'untrained';
  const kind = typeof s === 'string' ? { network: s, embeddings: s } : { network: s.network || 'untrained', embeddings: s.embeddings || s.network || 'untrained' };
  for (const part of [kind.network, kind.embeddings]) if (!KINDS.includes(part)) throw new Error(`repro.json ${entry.id}: unknown seedModel kind "${part}"`);
  return kind;
}

const word = (k) => (k === 'trained here' ? 'trained-here' : k);
const sameKind = (a, b) => a.network === b.network && a.embeddings === b.embeddings;

/** "untrained network on untrained embeddings" (or the model's own names for the two parts). */
function describeKind(kind) {
  return `${word(kind.network)} ${kind.networkName || 'network'} on ${word(kind.embeddings)} ${kind.embeddingsName || 'embeddings'}`;
}

/** One word where both parts agree ("untrained"), else both ("untrained network, trained embeddings"). */
function shortKind(kind) {
  if (kind.network === kind.embeddings) return kind.network;
  return `${kind.network} ${kind.networkName || 'network'}, ${kind.embeddings} ${kind.embeddingsName || 'embeddings'}`;
}

/** What the claim's source ran, in the parts where it differs from the run: "trained embeddings". */
function claimDifference(run, claim, names) {
  const n = `${names.networkName || 'network'}`;
  const e = `${names.embeddingsName || 'embeddings'}`;
  if (run.network !== claim.network && run.embeddings !== claim.embeddings) return `${word(claim.network)} ${n} on ${word(claim.embeddings)} ${e}`;
  if (run.network !== claim.network) return `${word(claim.network)} ${n}`;
  return `${word(claim.embeddings)} ${e}`;
}

// ---- computed targets -------------------------------------------------------------------

/**
 * Share of the first k of N patches under causal attention alone: patch i (0-based) is seen by
 * the N − i positions from i on, so an objective summed over every position reaches it N − i
 * times: Σ_{i<k}(N − i) / Σ_i(N − i). For 7 × 7 patches and k = 12: 522 / 1225 = 0.426.
 */
function causalPrefixShare(n, k) {
  let early = 0;
  let all = 0;
  for (let i = 0; i < n; i++) {
    all += n - i;
    if (i < k) early += n - i;
  }
  return early / all;
}

/**
 * The grid and k of feature-viz's earlyPatchChangeFraction (change-map.ts: k = max(1,
 * round(N·fraction))): the grid from the summary's change by patch row, else from the check's
 * `patchesPerSide` (for stored summaries that kept no change map).
 */
function earlyPatches(summary, check) {
  const side = Array.isArray(summary.changeByPatchRow) ? summary.changeByPatchRow.length : (check && check.patchesPerSide) || 0;
  if (!side) return undefined;
  const n = side * side;
  const fraction = typeof summary.earlyFraction === 'number' ? summary.earlyFraction : 0.25;
  return { side, n, k: Math.max(1, Math.round(n * fraction)) };
}

const TARGETS = {
  causalEarlyShare(summary, check) {
    const g = earlyPatches(summary, check);
    return g && { value: causalPrefixShare(g.n, g.k), what: `the causal null for ${g.side} × ${g.side} patches, Σ_{i<${g.k}}(${g.n}−i)/Σ_i(${g.n}−i)` };
  },
  uniformEarlyShare(summary, check) {
    const g = earlyPatches(summary, check);
    return g && { value: g.k / g.n, what: `an even spread, ${g.k}/${g.n}` };
  },
};

function targetOf(check, summary) {
  if (check.target) {
    const fn = TARGETS[check.target];
    if (!fn) throw new Error(`repro.json: unknown target "${check.target}" for ${check.field}`);
    return fn(summary, check) || { value: undefined, what: `${check.target} (not computable from this summary)` };
  }
  if (check.other) return { value: get(summary, check.other), what: check.other };
  return { value: check.value };
}

const OPS = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};
const OP_TEXT = { eq: '=', ne: '≠', lt: '<', le: '≤', gt: '>', ge: '≥' };

function compare(op, a, b, where) {
  if (!OPS[op]) throw new Error(`repro.json: unknown op "${op}"${where ? ` for ${where}` : ''}`);
  return OPS[op](a, b);
}

// ---- derived fields ---------------------------------------------------------------------

/** Fields computed from a summary (`derived.*`): the share of positions whose target token is in the last snapshot's top k. */
function derivedField(summary, field) {
  const m = /^derived\.targetInTop(\d+)$/.exec(field);
  if (!m) return undefined;
  const k = Number(m[1]);
  const snap = Array.isArray(summary.snapshots) ? summary.snapshots[summary.snapshots.length - 1] : undefined;
  const target = summary.targetTokens;
  if (!snap || !Array.isArray(snap.topK) || !Array.isArray(target)) return undefined;
  const hits = target.filter((id, i) => (snap.topK[i] || []).slice(0, k).some((c) => c.id === id)).length;
  return hits / target.length;
}

const fieldValue = (summary, field) => (field.startsWith('derived.') ? derivedField(summary, field) : get(summary, field));

// ---- one run ------------------------------------------------------------------------------

const DEFAULT_LOSS_FIELDS = ['finalLoss', 'outputDistance'];

/**
 * Why a run measured nothing the claim can use, or undefined: it did not complete (diverged,
 * failed, killed …), a loss field is not finite (JSON writes NaN and ∞ as null), or its loss
 * rose over the run (`lossTrace`, the first and last logged loss, per batch where there are
 * several).
 */
function runProblem(entry, run) {
  const s = run.summary || {};
  if (s.status && s.status !== 'completed') return `the run ${s.status}${s.error ? ` (${String(s.error).split('. ')[0]})` : ''}`;
  for (const f of entry.lossFields || DEFAULT_LOSS_FIELDS) {
    if (!(f in s)) continue;
    const v = s[f];
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return `${f} is not finite (${v})`;
  }
  const traces = run.lossTrace ? [].concat(run.lossTrace) : [];
  for (const t of traces) {
    if (![t.first, t.last].every((x) => typeof x === 'number' && Number.isFinite(x))) return `the loss is not finite (${t.first} → ${t.last})`;
    if (t.last > t.first) return `the loss rose (${show(t.first)} → ${show(t.last)}${t.batch !== undefined ? `, batch ${t.batch}` : ''})`;
  }
  return undefined;
}

function matches(overrides, where) {
  if (!where) return true;
  return Object.entries(where).every(([key, want]) => {
    const hit = Object.entries(overrides || {}).find(([k]) => k === key || k.endsWith(`.${key}`));
    if (!hit) return false;
    const v = hit[1];
    return JSON.stringify(v) === JSON.stringify(want) || String(v) === String(want) || (v && typeof v === 'object' && v.kind === want);
  });
}

/** A check on one summary: { outcome: 'holds' | 'fails' | 'inconclusive', text }. */
function checkOne(check, summary) {
  const actual = fieldValue(summary, check.field);
  const t = targetOf(check, summary);
  const rhs = t.what ? `${check.other ? `${check.other} = ` : ''}${show(t.value)}${check.target ? `, ${t.what}` : ''}` : show(t.value);
  const measured = `${check.field} = ${show(actual)}${check.other || check.target ? ` vs ${rhs}` : ''}`;
  if (actual === undefined || actual === null || t.value === undefined || t.value === null) {
    return { outcome: 'fails', measured, text: `${check.field} = ${show(actual)} (claim: ${check.says || `${OP_TEXT[check.op]} ${show(t.value)}`})` };
  }
  const ok = compare(check.op, actual, t.value, check.field);
  return { outcome: ok ? 'holds' : 'fails', measured, text: `${measured} (claim: ${check.says || `${OP_TEXT[check.op]} ${show(t.value)}`})` };
}

/** Floors and ceilings that hold for this one job. */
function floorsOf(entry, summary) {
  return (entry.untestable || [])
    .filter((u) => !u.every)
    .filter((u) => {
      const v = fieldValue(summary, u.field);
      const t = targetOf(u, summary).value;
      return v !== undefined && v !== null && t !== undefined && compare(u.op, v, t, u.field);
    })
    .map((u) => `${u.says || `${u.field} ${OP_TEXT[u.op]} ${show(u.value)}`} (${u.field} = ${show(fieldValue(summary, u.field))})`);
}

/** The per-job results of one run: [{ outcome, text, measured }], or an inconclusive one when the run is unusable. */
function judgeRun(entry, run) {
  const problem = runProblem(entry, run);
  if (problem) return [{ outcome: 'inconclusive', text: problem }];
  const floors = floorsOf(entry, run.summary);
  if (floors.length) return [{ outcome: 'inconclusive', text: `untestable: ${floors.join('; ')}` }];
  return (entry.expect || []).filter((e) => matches(run.overrides, e.where)).map((e) => checkOne(e, run.summary));
}

/** Expectations about sweep jobs that did not run (a `where` no job matches): such a claim is untested, not passed. */
function missingJobs(entry, runs) {
  if (!runs.length) return [];
  return (entry.expect || [])
    .filter((e) => e.where && !runs.some((r) => matches(r.overrides, e.where)))
    .map((e) => ({ outcome: 'inconclusive', text: `no job with ${Object.entries(e.where).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')} has run (claim: ${e.says || e.field})` }));
}

// ---- checks over several jobs -------------------------------------------------------------

function usable(entry, runs) {
  const bad = [];
  const good = [];
  for (const r of runs) {
    const p = runProblem(entry, r);
    if (p) bad.push(`${r.label || 'the run'}: ${p}`);
    else good.push(r);
  }
  return { good, bad };
}

const axisValue = (run, axis) => {
  const hit = Object.entries(run.overrides || {}).find(([k]) => k === axis || k.endsWith(`.${axis}`));
  return hit ? hit[1] : undefined;
};

/** Runs grouped by the values of the check's `groupBy` axes (one group without it). */
function groupsOf(check, runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = (check.groupBy || []).map((g) => `${g.split('.').pop()}=${JSON.stringify(axisValue(r, g))}`).join(' ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return groups;
}

/**
 * A precondition, per group: the jobs must differ in `field` (two inversions that are to be two
 * different inputs); where two agree the claim cannot be tested. Says nothing when they differ.
 */
function checkDistinct(entry, check, runs) {
  const results = [];
  for (const [key, members] of groupsOf(check, runs)) {
    const values = members.map((r) => fieldValue(r.summary, check.field));
    if (new Set(values.map((v) => JSON.stringify(v))).size < values.length) {
      results.push({ outcome: 'inconclusive', text: `${check.field}${key ? ` (${key})` : ''}: ${values.map(show).join(', ')} — untestable: ${check.says}` });
    }
  }
  return results;
}

/** A trend across a swept axis, per group: its sign and whether it is monotone within `tolerance`. */
function checkTrend(entry, check, runs) {
  const groups = groupsOf(check, runs);
  const tol = check.tolerance || 0;
  const sign = check.direction === 'decreasing' ? -1 : 1;
  const results = [];
  for (const [key, members] of groups) {
    const name = `${check.field} by ${check.axis.split('.').pop()}${key ? ` (${key})` : ''}`;
    const { good, bad } = usable(entry, members);
    if (bad.length) {
      results.push({ outcome: 'inconclusive', text: `${name}: ${bad.join('; ')}` });
      continue;
    }
    const floors = (entry.untestable || []).filter((u) => u.every);
    const floor = floors.find((u) => good.length && good.every((r) => {
      const v = fieldValue(r.summary, u.field);
      const t = targetOf(u, r.summary).value;
      return v !== undefined && v !== null && t !== undefined && compare(u.op, v, t, u.field);
    }));
    const points = good
      .map((r) => ({ x: Number(axisValue(r, check.axis)), y: fieldValue(r.summary, check.field) }))
      .sort((a, b) => a.x - b.x);
    const series = points.map((p) => `${show(p.y)} (${p.x})`).join(' → ');
    if (floor) {
      results.push({ outcome: 'inconclusive', text: `${name}: ${series} — untestable: ${floor.says}` });
      continue;
    }
    if (points.length < 2 || points.some((p) => typeof p.y !== 'number' || !Number.isFinite(p.x))) {
      results.push({ outcome: 'inconclusive', text: `${name}: ${series || 'no values'} — a trend needs two or more finite points` });
      continue;
    }
    const net = sign * (points[points.length - 1].y - points[0].y);
    const monotone = points.slice(1).every((p, i) => sign * (p.y - points[i].y) >= -tol);
    const claimed = check.says || `${check.direction} with ${check.axis}`;
    if (net > tol && monotone) results.push({ outcome: 'holds', text: `${name}: ${series}, ${check.direction}` });
    else if (net < -tol) results.push({ outcome: 'fails', text: `${name}: ${series} runs the other way (claim: ${claimed})` });
    else if (net > tol) results.push({ outcome: 'fails', text: `${name}: ${series} is not monotone (claim: ${claimed})` });
    else results.push({ outcome: 'fails', text: `${name}: ${series} is flat within ${show(tol)} (claim: ${claimed})` });
  }
  return results;
}

function reduce(values, how) {
  if (how === 'max') return Math.max(...values);
  if (how === 'mean') return values.reduce((a, v) => a + v, 0) / values.length;
  return Math.min(...values);
}

function selectRuns(sel, own, ctx) {
  const pool = sel && sel.row ? (ctx.runsOf ? ctx.runsOf(sel.row) : undefined) : own;
  if (!pool) return { runs: [], missing: `row ${sel.row} has no runs yet` };
  const runs = pool.filter((r) => matches(r.overrides, sel && sel.where));
  return { runs, missing: runs.length ? undefined : `no run ${sel && sel.row ? `of row ${sel.row} ` : ''}${sel && sel.where ? `with ${JSON.stringify(sel.where)}` : ''}` };
}

const selText = (sel) => [sel && sel.row ? `row ${sel.row}` : '', sel && sel.where ? Object.entries(sel.where).map(([k, v]) => `${k.split('.').pop()}=${v}`).join(' ') : ''].filter(Boolean).join(' ') || 'this row';

/** One side of a ratio: its reduced value over the usable runs that reached a finite value. */
function side(entry, check, sel, own, ctx) {
  const { runs, missing } = selectRuns(sel, own, ctx);
  if (missing) return { missing };
  const { good } = usable(entry, runs);
  const reached = good.map((r) => fieldValue(r.summary, check.field)).filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (!reached.length) {
    const each = runs.map((r) => `${r.label ? `${r.label}: ` : ''}${runProblem(entry, r) || `${check.field} = ${show(fieldValue(r.summary, check.field))}`}`);
    return { missing: `${selText(sel)} never reached a value (${each.join('; ')})` };
  }
  return { value: reduce(reached, check.reduce) };
}

function checkRatio(entry, check, own, ctx) {
  const num = side(entry, check, check.numerator, own, ctx);
  const den = side(entry, check, check.denominator, own, ctx);
  const name = `${check.field} ${selText(check.numerator)} ÷ ${selText(check.denominator)}`;
  if (num.missing || den.missing) {
    return [{ outcome: 'inconclusive', text: `${name}: the ratio needs both sides to reach a value; ${[num.missing, den.missing].filter(Boolean).join('; ')}` }];
  }
  const ratio = num.value / den.value;
  const measured = `${name} = ${show(num.value)} / ${show(den.value)} = ${show(ratio)}`;
  const ok = compare(check.op, ratio, check.value, name);
  return [{ outcome: ok ? 'holds' : 'fails', measured, text: `${measured} (claim: ${check.says || `${OP_TEXT[check.op]} ${show(check.value)}`})` }];
}

function checkAggregate(entry, check, own, ctx) {
  const { runs, missing } = selectRuns(check.select, own, ctx);
  const name = `${check.reduce || 'min'} ${check.field} over ${selText(check.select)}`;
  if (missing) return [{ outcome: 'inconclusive', text: `${name}: ${missing}` }];
  const { good, bad } = usable(entry, runs);
  if (!good.length) return [{ outcome: 'inconclusive', text: `${name}: every run unusable (${bad.join('; ')})` }];
  const values = good.map((r) => fieldValue(r.summary, check.field)).map((v) => (v === null && check.nullMeans === 'never' ? Infinity : v));
  if (values.some((v) => typeof v !== 'number')) return [{ outcome: 'inconclusive', text: `${name}: not a number in every run` }];
  const v = reduce(values, check.reduce);
  const measured = `${name} = ${v === Infinity ? 'never' : show(v)}${bad.length ? ` (${bad.length} unusable run${bad.length > 1 ? 's' : ''} left out: ${bad.join('; ')})` : ''}`;
  const ok = compare(check.op, v, check.value, name);
  return [{ outcome: ok ? 'holds' : 'fails', measured, text: `${measured} (claim: ${check.says || `${OP_TEXT[check.op]} ${show(check.value)}`})` }];
}

function checkAcross(entry, runs, ctx) {
  return (entry.across || []).flatMap((c) => {
    if (c.kind === 'trend') return checkTrend(entry, c, runs);
    if (c.kind === 'ratio') return checkRatio(entry, c, runs, ctx);
    if (c.kind === 'aggregate') return checkAggregate(entry, c, runs, ctx);
    if (c.kind === 'distinct') return checkDistinct(entry, c, runs);
    throw new Error(`repro.json ${entry.id}: unknown across kind "${c.kind}"`);
  });
}

// ---- the verdict ------------------------------------------------------------------------------

/** Words for one set of check results on a run (or rows) of the given kind. */
function phrase(entry, results, kind) {
  const claim = claimKindOf(entry);
  const source = entry.source ? 'claim' : 'seed';
  const kindDiffers = kind && !sameKind(kind, claim);
  const differs = [
    kindDiffers ? `${describeKind(kind)} (${source}: ${claimDifference(kind, claim, kind)})` : '',
    entry.settingsDiffer ? `settings — ${entry.settingsDiffer}` : '',
  ].filter(Boolean).join('; ');
  const inconclusive = results.filter((r) => r.outcome === 'inconclusive');
  const failed = results.filter((r) => r.outcome === 'fails');
  const measured = [...new Set(results.map((r) => r.measured || r.text))].join('; ');
  if (inconclusive.length) {
    const others = failed.length ? `; also ${failed.map((r) => r.text).join('; ')}` : '';
    return { verdict: 'Inconclusive', text: `Inconclusive: ${inconclusive.map((r) => r.text).join('; ')}${others}${differs ? ` (also differs: ${differs})` : ''}` };
  }
  if (!results.length) return { verdict: 'No verdict', text: 'No verdict (the claim has no measurable form in repro.json)' };
  if (differs) {
    return { verdict: 'Differs', text: `Differs: ${differs}; ${failed.length ? `the claim does not hold here either (${measured})` : `the claim holds here (${measured})`}` };
  }
  const caveat = entry.caveat ? ` — ${entry.caveat}` : '';
  if (failed.length) return { verdict: 'Not reproduced', text: `Not reproduced: ${failed.map((r) => r.text).join('; ')}${caveat}` };
  return { verdict: 'Reproduced', text: `Reproduced (${measured})${caveat}` };
}

/** A row deferring to another: Inconclusive, with what its own runs measured. */
function deferred(entry, own, ctx) {
  const d = entry.deferTo;
  const ownText = own ? `; this row's own runs: ${own.text}` : '';
  // Without `row`: the run that would decide is not part of any table yet (`why` says which).
  if (!d.row) return { verdict: 'Inconclusive', text: `Inconclusive: ${d.why}${ownText}` };
  const target = ctx.runsOf ? ctx.runsOf(d.row) : undefined;
  const state = target && target.length ? `see that row` : 'not run yet';
  return { verdict: 'Inconclusive', text: `Inconclusive: ${d.why}; row ${d.row} decides (${state})${ownText}` };
}

/**
 * The verdicts of one row in one column. `runs` are the row's finished (or diverged) runs;
 * `ctx.runsOf(id)` gives another row's runs in the same column (for `row` selectors and
 * `deferTo`). Returns { row } — one verdict for the row — when it has checks over several jobs
 * or a single run, else { perRun: [{ label, verdict, text }] }.
 */
function rowVerdict(entry, runs, ctx = {}) {
  const kinds = runs.map((r) => r.kind || { network: 'untrained', embeddings: 'untrained' });
  const oneKind = kinds.every((k) => sameKind(k, kinds[0])) ? kinds[0] : undefined;
  const missing = missingJobs(entry, runs);
  const rowLevel = (entry.across && entry.across.length) || (entry.untestable || []).some((u) => u.every) || runs.length <= 1 || missing.length > 0;
  let out;
  if (rowLevel) {
    // Per-job expectations; a row judged only across jobs leaves unusable runs to those checks.
    const judged = (entry.expect || []).length || !(entry.across || []).length ? runs : [];
    const perJob = judged.flatMap((r) => judgeRun(entry, r).map((x) => (runs.length > 1 && r.label ? { ...x, text: `${r.label}: ${x.text}`, measured: x.measured && `${r.label}: ${x.measured}` } : x)));
    const acrossResults = checkAcross(entry, runs, ctx);
    const everyFloor = (entry.untestable || []).filter((u) => u.every);
    // A floor over every job with no trend to carry it: the row as a whole.
    const floorHit = !(entry.across || []).some((c) => c.kind === 'trend') && everyFloor.find((u) => runs.length && runs.every((r) => {
      const v = fieldValue(r.summary, u.field);
      const t = targetOf(u, r.summary).value;
      return v !== undefined && v !== null && compare(u.op, v, t, u.field);
    }));
    const results = floorHit ? [{ outcome: 'inconclusive', text: `untestable: ${floorHit.says}` }] : [...perJob, ...missing, ...acrossResults];
    out = { row: phrase(entry, results, oneKind || kinds[0]) };
  } else {
    out = {
      perRun: runs.map((r, i) => {
        const results = judgeRun(entry, r);
        // A sweep job no expectation is about (e.g. an alternative shown beside the seed's setting).
        if (!results.length && (entry.expect || []).length) return { label: r.label, verdict: 'No verdict', text: 'No claim for this job (shown for comparison)' };
        return { label: r.label, ...phrase(entry, results, kinds[i]) };
      }),
    };
  }
  if (entry.deferTo) {
    const own = out.row ? out.row : { text: out.perRun.map((p) => `${p.label}: ${p.text}`).join('; ') };
    return { row: deferred(entry, own, ctx) };
  }
  return out;
}

/** One summary's verdict against an entry's expectations (a single run, no other rows). */
function verdictFor(entry, summary, config, extra = {}) {
  const kind = modelKindOf(config);
  const { row } = rowVerdict(entry, [{ label: '', overrides: {}, summary, kind, ...extra }]);
  return { verdict: row.text, kind: row.verdict, runKind: shortKind(kind) };
}

module.exports = {
  verdictFor,
  rowVerdict,
  runProblem,
  modelKindOf,
  claimKindOf,
  describeKind,
  shortKind,
  weightsKind,
  causalPrefixShare,
  TARGETS,
  show,
  get,
  fieldValue,
};
