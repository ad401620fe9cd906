/* global describe, it, expect */
// The verdict rule of the reproduction tables (scripts/lib/repro-verdict.js): one test per rule.
const { rowVerdict, verdictFor, modelKindOf, causalPrefixShare, runProblem } = require('../repro-verdict');
const { renderTables } = require('../repro-table');

const untrained = { network: 'untrained', embeddings: 'untrained' };
const trained = { network: 'trained', embeddings: 'trained' };
const run = (summary, extra = {}) => ({ label: '', overrides: {}, summary: { status: 'completed', ...summary }, kind: untrained, ...extra });
const job = (overrides, summary, extra = {}) => ({
  label: Object.entries(overrides).map(([k, v]) => `${k.split('.').pop()}=${v}`).join(' '),
  overrides,
  summary: { status: 'completed', ...summary },
  kind: untrained,
  ...extra,
});
const verdictOf = (entry, runs, ctx) => rowVerdict(entry, runs, ctx).row.text;

describe('model kinds', () => {
  it('names the network and the embeddings of each model kind', () => {
    expect(modelKindOf({ model: { kind: 'gpt2', weights: 'hf:openai-community/gpt2' } })).toEqual(trained);
    expect(modelKindOf({ model: { kind: 'gpt2', weights: 'runs/train-tiny/final' } })).toEqual({ network: 'trained here', embeddings: 'trained here' });
    expect(modelKindOf({ model: { kind: 'gpt2', size: 'small' } })).toEqual(untrained);
    expect(modelKindOf({ model: { kind: 'fcnet', invertible: true, embeddings: { weights: 'hf:openai-community/gpt2' } } })).toMatchObject({ network: 'untrained', embeddings: 'trained' });
    expect(modelKindOf({ model: { kind: 'hybrid', vit: {}, gpt2: { weights: 'runs/train-tiny/final' } } })).toMatchObject({ network: 'trained here', embeddings: 'untrained', networkName: 'GPT-2 stack', embeddingsName: 'ViT stem' });
  });

  it('says "untrained network on untrained embeddings (seed: trained embeddings)" where only the embeddings differ', () => {
    const entry = { id: 'fcnet', seedModel: { network: 'untrained', embeddings: 'trained' }, expect: [{ field: 'exactMatch', op: 'eq', value: true, says: 'exact' }] };
    const onUntrained = verdictFor(entry, { exactMatch: true }, { model: { kind: 'fcnet', invertible: true } });
    expect(onUntrained.verdict).toBe('Differs: untrained FCNet on untrained embeddings (seed: trained embeddings); the claim holds here (exactMatch = true)');
    const onTrained = verdictFor(entry, { exactMatch: true }, { model: { kind: 'fcnet', invertible: true, embeddings: { weights: 'hf:openai-community/gpt2' } } });
    expect(onTrained.verdict).toBe('Reproduced (exactMatch = true)');
  });

  it('never says Reproduced on another kind of model, a model trained here, or other settings', () => {
    const entry = { id: 'x', seedModel: 'trained', expect: [{ field: 'beatsBaseline', op: 'eq', value: true }] };
    expect(verdictOf(entry, [run({ beatsBaseline: true })])).toMatch(/^Differs: untrained network on untrained embeddings \(seed: trained network on trained embeddings\); the claim holds here/);
    expect(verdictOf(entry, [run({ beatsBaseline: true }, { kind: { network: 'trained here', embeddings: 'trained here' } })])).toMatch(/^Differs: trained-here network/);
    expect(verdictOf(entry, [run({ beatsBaseline: true }, { kind: trained })])).toBe('Reproduced (beatsBaseline = true)');
    const reduced = { ...entry, settingsDiffer: 'reduced: 112² images' };
    expect(verdictOf(reduced, [run({ beatsBaseline: true }, { kind: trained })])).toBe('Differs: settings — reduced: 112² images; the claim holds here (beatsBaseline = true)');
  });

  it('says Not reproduced, with the number and any caveat, on the same kind and settings', () => {
    const entry = { id: 'x', seedModel: 'untrained', caveat: 'at lr 2', expect: [{ field: 'tokenAccuracy', op: 'ge', value: 0.6, says: 'near misses' }] };
    expect(verdictOf(entry, [run({ tokenAccuracy: 0.2 })])).toBe('Not reproduced: tokenAccuracy = 0.200 (claim: near misses) — at lr 2');
  });
});

describe('Inconclusive: a diverged or failed run is evidence neither way', () => {
  // Two claims about the same numbers: one the diverged run's leftovers would meet, one they would fail.
  const met = { id: 'met', seedModel: 'untrained', expect: [{ field: 'beatsBaseline', op: 'eq', value: false }] };
  const failed = { id: 'failed', seedModel: 'untrained', expect: [{ field: 'beatsBaseline', op: 'eq', value: true }] };
  const diverged = [
    ['a diverged status', run({ status: 'diverged', error: 'diverged at step 0: |x| grew. Lower the lr.', beatsBaseline: false })],
    ['a failed status', run({ status: 'failed', error: 'out of memory', beatsBaseline: false })],
    ['a non-finite loss (JSON null)', run({ beatsBaseline: false, finalLoss: null })],
    ['a loss that rose', run({ beatsBaseline: false, finalLoss: 3 }, { lossTrace: { first: 1, last: 3e8 } })],
    ['a loss that rose in one batch of several', run({ beatsBaseline: false }, { lossTrace: [{ first: 5, last: 1, batch: 0 }, { first: 5, last: 9, batch: 1 }] })],
  ];
  it.each(diverged)('%s gives Inconclusive, never Reproduced or Not reproduced', (_, r) => {
    for (const entry of [met, failed]) {
      const text = verdictOf(entry, [r]);
      expect(text).toMatch(/^Inconclusive: /);
      expect(text).not.toMatch(/Reproduced|Not reproduced/);
    }
    // …and on another kind of model it says both.
    expect(verdictOf({ ...met, seedModel: 'trained' }, [r])).toMatch(/^Inconclusive: .*\(also differs: untrained network on untrained embeddings/);
  });

  it('a completed run with a falling, finite loss is usable', () => {
    expect(runProblem({}, run({ finalLoss: 1 }, { lossTrace: { first: 9, last: 1 } }))).toBeUndefined();
    expect(verdictOf(met, [run({ beatsBaseline: false, finalLoss: 1 }, { lossTrace: { first: 9, last: 1 } })])).toBe('Reproduced (beatsBaseline = false)');
  });

  it('each job of a sweep without checks across jobs gets its own verdict; the diverged one is Inconclusive', () => {
    const entry = { id: 's', sweep: true, seedModel: 'untrained', expect: [{ field: 'exactMatch', op: 'eq', value: true }] };
    const v = rowVerdict(entry, [job({ 'model.depth': 1 }, { exactMatch: true }), job({ 'model.depth': 2 }, { status: 'diverged', exactMatch: true })]);
    expect(v.perRun.map((p) => p.verdict)).toEqual(['Reproduced', 'Inconclusive']);
  });
});

describe('floors and ceilings', () => {
  const entry = {
    id: 'depth-head',
    sweep: true,
    seedModel: 'untrained',
    across: [{ kind: 'trend', field: 'tokenAccuracy', axis: 'model.depth', groupBy: ['model.head'], direction: 'decreasing', says: 'fewer tokens deeper' }],
    untestable: [{ field: 'tokenAccuracy', op: 'le', value: 0.2, every: true, says: '≤ 1/5 tokens recovered at every depth' }],
  };
  it('≤ 1/5 tokens at every depth makes "fewer tokens deeper" untestable', () => {
    const runs = [1, 2, 4, 12].map((d, i) => job({ 'model.depth': d, 'model.head': false }, { tokenAccuracy: [0.2, 0.2, 0, 0][i] }));
    expect(verdictOf(entry, runs)).toBe('Inconclusive: tokenAccuracy by depth (head=false): 0.200 (1) → 0.200 (2) → 0 (4) → 0 (12) — untestable: ≤ 1/5 tokens recovered at every depth');
  });
  it('above the floor the trend decides', () => {
    const runs = [1, 2, 4, 12].map((d, i) => job({ 'model.depth': d, 'model.head': false }, { tokenAccuracy: [1, 0.8, 0.4, 0][i] }));
    expect(verdictOf(entry, runs)).toBe('Reproduced (tokenAccuracy by depth (head=false): 1 (1) → 0.800 (2) → 0.400 (4) → 0 (12), decreasing)');
  });
  it('a floor on one job makes that job Inconclusive', () => {
    const one = { id: 'one', seedModel: 'untrained', untestable: [{ field: 'objectiveImproved', op: 'eq', value: 0, says: 'no panel moved' }], expect: [{ field: 'earlyPatchChangeFraction', op: 'gt', value: 0.25 }] };
    expect(verdictOf(one, [run({ objectiveImproved: 0, earlyPatchChangeFraction: 0.9 })])).toBe('Inconclusive: untestable: no panel moved (objectiveImproved = 0)');
  });
});

describe('trends across a swept axis', () => {
  const entry = (tolerance) => ({ id: 'layers', sweep: true, seedModel: 'untrained', across: [{ kind: 'trend', field: 'share', axis: 'model.depth', direction: 'decreasing', tolerance, says: 'deeper layers spread wider' }] });
  const runs = (values) => values.map((v, i) => job({ 'model.depth': [1, 4, 8, 12][i] }, { share: v }));
  it('a trend the other way is Not reproduced, whatever each job measures', () => {
    expect(verdictOf(entry(0.01), runs([0.413, 0.598]))).toBe('Not reproduced: share by depth: 0.413 (1) → 0.598 (4) runs the other way (claim: deeper layers spread wider)');
  });
  it('a flat trend (within the tolerance) and a non-monotone one are not the claim', () => {
    expect(verdictOf(entry(0.01), runs([0.244, 0.241, 0.238, 0.236]))).toMatch(/^Not reproduced: .* is flat within 0.0100/);
    expect(verdictOf(entry(0), runs([0.5, 0.3, 0.45, 0.2]))).toMatch(/^Not reproduced: .* is not monotone/);
  });
  it('the claimed direction, monotone, is Reproduced; it is sorted by the axis, not by job order', () => {
    expect(verdictOf(entry(0), runs([0.5, 0.4, 0.3, 0.2]).reverse())).toBe('Reproduced (share by depth: 0.500 (1) → 0.400 (4) → 0.300 (8) → 0.200 (12), decreasing)');
  });
  it('one point, or a diverged job in the group, is Inconclusive', () => {
    expect(verdictOf(entry(0), runs([0.5]))).toMatch(/^Inconclusive: .*a trend needs two or more finite points/);
    const withDiverged = runs([0.5, 0.4, 0.3]);
    withDiverged[1].summary.status = 'diverged';
    expect(verdictOf(entry(0), withDiverged)).toMatch(/^Inconclusive: share by depth: depth=4: the run diverged/);
  });
});

describe('ratios between rows and between jobs', () => {
  const headRatio = { id: 'head-vs-nohead', seedModel: 'untrained', across: [{ kind: 'ratio', field: 'firstStepBeatingBaseline', numerator: { row: 'eq4' }, denominator: {}, op: 'ge', value: 33, says: '~100×' }] };
  const eq4 = (v, extra) => ({ runsOf: (id) => (id === 'eq4' ? [run({ firstStepBeatingBaseline: v, ...extra })] : undefined) });
  it('is computed when both sides reach the baseline', () => {
    expect(verdictOf(headRatio, [run({ firstStepBeatingBaseline: 5 })], eq4(500))).toBe('Reproduced (firstStepBeatingBaseline row eq4 ÷ this row = 500 / 5 = 100)');
    expect(verdictOf(headRatio, [run({ firstStepBeatingBaseline: 50 })], eq4(500))).toMatch(/^Not reproduced: .* = 500 \/ 50 = 10 \(claim: ~100×\)/);
  });
  it('is Inconclusive when a side never reaches it, diverged, or the other row has no runs', () => {
    expect(verdictOf(headRatio, [run({ firstStepBeatingBaseline: 322 })], eq4(null))).toMatch(/^Inconclusive: .*the ratio needs both sides to reach a value; row eq4 never reached a value \(firstStepBeatingBaseline = null\)/);
    expect(verdictOf(headRatio, [run({ firstStepBeatingBaseline: 322 })], eq4(3, { status: 'diverged' }))).toMatch(/^Inconclusive: .*row eq4 never reached a value \(the run diverged\)/);
    expect(verdictOf(headRatio, [run({ firstStepBeatingBaseline: 322 })], { runsOf: () => undefined })).toMatch(/^Inconclusive: .*row eq4 has no runs yet/);
  });
  it('takes each side at its best setting over a sweep, leaving diverged jobs out', () => {
    const sweep = { id: 'lr', sweep: true, seedModel: 'untrained', across: [{ kind: 'ratio', field: 'firstStepBeatingBaseline', numerator: { where: { 'model.head': true } }, denominator: { where: { 'model.head': false } }, reduce: 'min', op: 'ge', value: 33 }] };
    const runs = [
      job({ 'model.head': true, 'optimizer.lr': 2 }, { status: 'diverged', firstStepBeatingBaseline: 1 }),
      job({ 'model.head': true, 'optimizer.lr': 0.01 }, { firstStepBeatingBaseline: 400 }),
      job({ 'model.head': true, 'optimizer.lr': 0.001 }, { firstStepBeatingBaseline: null }),
      job({ 'model.head': false, 'optimizer.lr': 2 }, { firstStepBeatingBaseline: 4 }),
      job({ 'model.head': false, 'optimizer.lr': 0.01 }, { firstStepBeatingBaseline: 40 }),
    ];
    expect(verdictOf(sweep, runs)).toBe('Reproduced (firstStepBeatingBaseline head=true ÷ head=false = 400 / 4 = 100)');
  });
  it('an aggregate counts "never" as never, not as a missing side', () => {
    const entry = { id: 'best', seedModel: 'untrained', runsOf: 'lr', across: [{ kind: 'aggregate', field: 'firstStepBeatingBaseline', select: { where: { head: true } }, reduce: 'min', nullMeans: 'never', op: 'le', value: 200 }] };
    const runs = [job({ 'model.head': true, 'optimizer.lr': 2 }, { firstStepBeatingBaseline: null }), job({ 'model.head': true, 'optimizer.lr': 1 }, { firstStepBeatingBaseline: null })];
    expect(verdictOf(entry, runs)).toBe('Not reproduced: min firstStepBeatingBaseline over head=true = never (claim: ≤ 200)');
  });
});

describe('computed targets', () => {
  it('the causal null of the first k of N patches is Σ_{i<k}(N−i)/Σ_i(N−i): 0.426 for 7 × 7 and k = 12', () => {
    expect(causalPrefixShare(49, 12)).toBeCloseTo(522 / 1225, 12);
    expect(causalPrefixShare(4, 4)).toBe(1);
    expect(causalPrefixShare(196, 49)).toBeCloseTo(8428 / 19306, 12);
  });
  it('judges the early-patch share against the causal null of its own grid', () => {
    const entry = { id: 'fig1', seedModel: 'untrained', expect: [{ field: 'earlyPatchChangeFraction', op: 'gt', target: 'causalEarlyShare' }] };
    const grid7 = Array(7).fill(1);
    expect(verdictOf(entry, [run({ earlyPatchChangeFraction: 0.37, changeByPatchRow: grid7 })])).toMatch(/^Not reproduced: earlyPatchChangeFraction = 0.370 vs 0.426, the causal null for 7 × 7 patches/);
    expect(verdictOf(entry, [run({ earlyPatchChangeFraction: 0.57, changeByPatchRow: grid7 })])).toMatch(/^Reproduced/);
    // A 14 × 14 grid (224² at patch 16) has its own null: 8428 / 19306 = 0.437 with k = 49.
    expect(verdictOf(entry, [run({ earlyPatchChangeFraction: 0.43, changeByPatchRow: Array(14).fill(1) })])).toMatch(/vs 0.437, the causal null for 14 × 14/);
  });
  it('derives the share of positions whose target token is in the top k', () => {
    const entry = { id: 'top2', seedModel: 'untrained', expect: [{ field: 'derived.targetInTop2', op: 'ge', value: 0.5 }] };
    const topK = [[{ id: 1 }, { id: 9 }], [{ id: 9 }, { id: 2 }], [{ id: 9 }, { id: 8 }, { id: 3 }]];
    expect(verdictOf(entry, [run({ targetTokens: [1, 2, 3], snapshots: [{ step: 10, topK }] })])).toBe('Reproduced (derived.targetInTop2 = 0.667)');
  });
});

describe('rows that cannot decide alone', () => {
  const entry = { id: 'eq4', seedModel: 'untrained', expect: [{ field: 'firstStepBeatingBaseline', op: 'le', value: 200 }], deferTo: { row: 'lr-sweep', why: 'one untuned learning rate' } };
  it('defer to the row that decides, Inconclusive whatever their own run says', () => {
    expect(verdictOf(entry, [run({ firstStepBeatingBaseline: 10 })], { runsOf: () => undefined })).toBe(
      "Inconclusive: one untuned learning rate; row lr-sweep decides (not run yet); this row's own runs: Reproduced (firstStepBeatingBaseline = 10)",
    );
    expect(verdictOf(entry, [run({ firstStepBeatingBaseline: null })], { runsOf: () => [run({})] })).toMatch(/^Inconclusive: one untuned learning rate; row lr-sweep decides \(see that row\)/);
  });
  it('without a deciding row, say why and keep what the own runs measured', () => {
    const e = { id: 'near', seedModel: 'untrained', expect: [{ field: 'tokenAccuracy', op: 'ge', value: 0.6 }], deferTo: { why: 'one untuned learning rate, no sweep of this row yet' } };
    expect(verdictOf(e, [run({ tokenAccuracy: 0 })])).toBe("Inconclusive: one untuned learning rate, no sweep of this row yet; this row's own runs: Not reproduced: tokenAccuracy = 0 (claim: ≥ 0.600)");
  });
  it('a claim about a sweep job that never ran is untested, not passed', () => {
    const e = {
      id: 'top5',
      sweep: true,
      seedModel: 'untrained',
      expect: [
        { field: 'exactMatch', op: 'eq', value: true, where: { name: 'invertible' }, says: 'exact' },
        { field: 'tokenAccuracy', op: 'ge', value: 0.5, where: { name: 'mlp' }, says: 'half the tokens' },
      ],
    };
    const v = rowVerdict(e, [job({ name: 'mlp' }, { tokenAccuracy: 0.6 })]);
    expect(v.row.verdict).toBe('Inconclusive');
    expect(v.row.text).toMatch(/^Inconclusive: no job with name=invertible has run \(claim: exact\)/);
    const both = rowVerdict(e, [job({ name: 'mlp' }, { tokenAccuracy: 0.6 }), job({ name: 'invertible' }, { exactMatch: true })]);
    expect(both.perRun.map((p) => p.verdict)).toEqual(['Reproduced', 'Reproduced']);
  });
  it('two inversions meant to differ that arrive at the same input cannot test a claim about a pair', () => {
    const e = {
      id: 'pair',
      sweep: true,
      seedModel: 'untrained',
      expect: [{ field: 'nextTokenAgreement', op: 'eq', value: true }],
      across: [{ kind: 'distinct', field: 'decoded', groupBy: ['lr'], says: 'both starts reached the same input: not two inversions' }],
    };
    const runs = [job({ seed: 0, lr: 2 }, { decoded: ' a b', nextTokenAgreement: true }), job({ seed: 1, lr: 2 }, { decoded: ' c d', nextTokenAgreement: true })];
    expect(rowVerdict(e, runs).row.verdict).toBe('Reproduced');
    const same = [...runs, job({ seed: 0, lr: 0.005 }, { decoded: 'The sky', nextTokenAgreement: true }), job({ seed: 1, lr: 0.005 }, { decoded: 'The sky', nextTokenAgreement: true })];
    const v = rowVerdict(e, same).row;
    expect(v.verdict).toBe('Inconclusive');
    expect(v.text).toContain('decoded (lr=0.005): `The sky`, `The sky` — untestable: both starts reached the same input');
  });
  it('sweep jobs no expectation is about are shown for comparison', () => {
    const e = { id: 'init', sweep: true, seedModel: 'untrained', expect: [{ field: 'tokenAccuracy', op: 'ge', value: 0.6, where: { name: 'init-text' } }] };
    const v = rowVerdict(e, [job({ name: 'init-text' }, { tokenAccuracy: 0.8 }), job({ name: 'init-code' }, { tokenAccuracy: 0.2 })]);
    expect(v.perRun.map((p) => p.text)).toEqual(['Reproduced (tokenAccuracy = 0.800)', 'No claim for this job (shown for comparison)']);
  });
});

describe('the rendered table', () => {
  it('says Inconclusive for a diverged trained-here run and labels timings with the backend they were measured on', () => {
    const entries = [{ id: 'eq4', trainedHere: true, claim: 'eq. 4 holds', seedModel: 'trained', config: 'configs/inversion/gpt2-baseline-eq4.yaml', fields: ['beatsBaseline', 'msPerStep'], expect: [{ field: 'beatsBaseline', op: 'eq', value: true }] }];
    const store = {
      eq4: { runs: [run({ beatsBaseline: true, msPerStep: 5 }, { seconds: 10, env: { backend: 'wasm', threads: 2 } })] },
      'eq4@tiny': { arch: { blocks: 2, width: 64, step: 400, evalLoss: 4.51 }, runs: [run({ status: 'diverged', error: 'diverged at step 0' }, { kind: { network: 'trained here', embeddings: 'trained here' }, seconds: 3 })] },
    };
    const table = renderTables(entries, store, [{ slug: 'tiny' }]);
    const row = table.split('\n').find((l) => l.startsWith('| eq. 4 holds'));
    expect(row).toContain('msPerStep 5 (wasm, 2 threads)');
    expect(row).toContain('**Inconclusive: the run diverged (diverged at step 0)');
    expect(row).not.toMatch(/\*\*(Reproduced|Not reproduced)/);
    expect(row).toContain('as configured: 10 s (wasm, 2 threads)<br>trained here: 3 s (backend not recorded)');
    expect(table).toContain('trained here, 2 × 64 (400 steps, held-out 4.51 nats), checkpoint not on this machine');
  });
  it('titles a trained-here column by the checkpoint its results were measured on, not a newer one on disk', () => {
    const entries = [{ id: 'eq4', trainedHere: true, claim: 'eq. 4 holds', seedModel: 'trained', fields: ['beatsBaseline'], expect: [{ field: 'beatsBaseline', op: 'eq', value: true }] }];
    const store = { 'eq4@brown': { arch: { blocks: 4, width: 256, step: 3500, evalLoss: 5.34 }, runs: [run({ beatsBaseline: true })] } };
    const newer = { slug: 'brown', arch: { blocks: 4, width: 256, step: 4000, evalLoss: 5.32 } };
    expect(renderTables(entries, store, [newer])).toContain('| trained here, 4 × 256 (3500 steps, held-out 5.34 nats) |');
    expect(renderTables(entries, {}, [newer])).toContain('| trained here, 4 × 256 (not run yet) |');
  });
  it('says why a row cannot run here, and shows a harness row by its command', () => {
    const entries = [
      { id: 'hub', claim: 'needs the Hub', seedModel: 'trained', config: 'configs/inversion/trained/x.yaml', notRunHere: 'needs internet once', fields: ['exactMatch'], expect: [{ field: 'exactMatch', op: 'eq', value: true }] },
      { id: 'torch', claim: 'float64', seedModel: 'trained', command: '/usr/bin/python3 scripts/reference/x.py DIR', fields: ['firstStepBeatingBaseline'], expect: [{ field: 'firstStepBeatingBaseline', op: 'le', value: 200 }] },
    ];
    const store = { torch: { runs: [run({ firstStepBeatingBaseline: 29 })] } };
    const table = renderTables(entries, store, [{ slug: 'tiny' }]);
    const hub = table.split('\n').find((l) => l.startsWith('| needs the Hub'));
    expect(hub).toContain('| not run here | Not run here: needs internet once |');
    const torch = table.split('\n').find((l) => l.startsWith('| float64'));
    expect(torch).toContain('| `/usr/bin/python3 scripts/reference/x.py DIR` |');
    expect(torch).toContain('Differs: untrained network on untrained embeddings');
  });
});
