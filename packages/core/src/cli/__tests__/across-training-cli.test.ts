import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeSafetensors, readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { commitId, FIXTURES, MockHub, startMockHub } from '@repscope/test-support';
import { runCliAsync } from '../../../test-support/cli';
import { tempDir } from '../../../test-support/plugin-packages';

/*
 * The across-training configs exactly as shipped (configs/across-training/), against a mock hub
 * that serves EleutherAI/pythia-160m and -70m's revisions as a tiny GPT-NeoX: `repscope
 * download CONFIG` fetches every revision on the "login node", the sweep then runs with
 * HF_HUB_OFFLINE=1, its report charts against the training step, and revisions serving
 * byte-identical weights are named (as 86 of pythia-2.8b's branches do, EleutherAI/pythia#205).
 */
jest.setTimeout(600_000);

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const CONFIGS = path.join(REPO_ROOT, 'configs', 'across-training');
const NEOX = path.join(FIXTURES, 'families', 'gpt_neox');
const STEPS = ['step0', 'step1', 'step16', 'step128', 'step512', 'step1000', 'step4000', 'step16000', 'step64000', 'step143000'];
/** Revisions with weights of their own; every other one serves step1000's bytes under its own commit. */
const DISTINCT: Record<string, number> = { step0: 1, step1000: 0.9, step143000: 0.8 };

/** A word-level tokenizer over the model's 50304 ids: the configs' sentences are real words of it. */
function tokenizerFiles(): Record<string, Buffer> {
  const words = ['<|endoftext|>', '[UNK]', 'The', 'sky', 'is', 'blue', '.'];
  const vocab: Record<string, number> = {};
  for (let i = 0; i < 50304; i++) vocab[words[i] ?? `w${i}`] = i;
  const tokenizer = {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  return { 'tokenizer.json': Buffer.from(JSON.stringify(tokenizer)), 'tokenizer_config.json': Buffer.from(JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' })) };
}

/** The tiny NeoX with every weight scaled: a checkpoint "later in training". */
function scaledWeights(scale: number): Buffer {
  const header = readSafetensorsHeader(path.join(NEOX, 'model.safetensors'));
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, entry] of header.entries) tensors[name] = { shape: entry.shape, data: readTensorF32(header, entry).map((v) => v * scale) };
  return encodeSafetensors(tensors);
}

function servePythia(hub: MockHub, repo: string): void {
  const shared = { 'config.json': fs.readFileSync(path.join(NEOX, 'config.json')), ...tokenizerFiles() };
  const weights = Object.fromEntries(Object.entries(DISTINCT).map(([step, scale]) => [step, scaledWeights(scale)]));
  const refs: Record<string, string> = {};
  const commits: Record<string, Record<string, Buffer>> = {};
  for (const step of [...STEPS, 'main']) {
    const commit = commitId(`${repo}@${step}`);
    refs[step] = commit;
    commits[commit] = { ...shared, 'model.safetensors': weights[step] ?? weights[step === 'main' ? 'step143000' : 'step1000']! };
  }
  hub.addRepo(repo, { refs, commits });
}

let hub: MockHub;
let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  hub = await startMockHub();
  servePythia(hub, 'EleutherAI/pythia-160m');
  servePythia(hub, 'EleutherAI/pythia-70m');
  work = tempDir();
  env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(work, 'hub'), HF_TOKEN: '', HF_HUB_OFFLINE: '' };
});

afterAll(async () => {
  await hub.close();
});

async function cli(args: string[], extra: Record<string, string> = {}): Promise<string> {
  const r = await runCliAsync(args, { ...env, ...extra }, work);
  expect({ args: args.join(' '), code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({ args: args.join(' '), code: 0, stderr: '' });
  return r.stdout;
}
const cdnGets = () => hub.requests.filter((r) => r.cdn !== undefined || r.path.startsWith('/cdn/')).filter((r) => r.method === 'GET').length;
const config = (name: string) => path.join(CONFIGS, name);
const revisions = (repo: string, steps: string[]) => steps.map((s) => `hf:EleutherAI/${repo}@${s}`).join(',');

describe('configs/across-training on a mock hub serving Pythia revisions', () => {
  test('download CONFIG fetches each revision (identical files once); the inversion sweep runs offline, charted against the training step, naming identical revisions', async () => {
    const fetched = await cli(['download', config('pythia-160m-inversion.yaml'), '--progress', 'lines']);
    for (const step of STEPS) expect(fetched).toContain(`hf:EleutherAI/pythia-160m@${step}: commit ${commitId(`EleutherAI/pythia-160m@${step}`)}`);
    // Ten revisions, three distinct weight files: blobs are named by their sha256, so the repeated one is fetched once.
    expect(cdnGets()).toBe(3);

    const out = path.join(work, 'pythia-160m-inversion');
    // The shipped config, shortened for a test: gradient inversion (with its eq. 4 baseline) at every revision, few steps.
    await cli(['sweep', config('pythia-160m-inversion.yaml'), 'steps=20', 'method=gradient', '--out', out], { HF_HUB_OFFLINE: '1' });
    const sweep = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { status: string; overrides: Record<string, unknown>; summary: Record<string, unknown> }[];
    expect(sweep.map((j) => j.status)).toEqual(Array(10).fill('completed'));
    for (const job of sweep) expect(Number.isFinite(job.summary['outputDistance'])).toBe(true);
    const [header, ...rows] = fs.readFileSync(path.join(out, 'sweep.csv'), 'utf8').trim().split('\n');
    const stepColumn = header!.split(',').indexOf('model.weights:trainingStep');
    expect(stepColumn).toBeGreaterThan(0);
    expect([...new Set(rows.map((r) => Number(r.split(',')[stepColumn])))].sort((a, b) => a - b)).toEqual(STEPS.map((s) => Number(s.slice(4))).sort((a, b) => a - b));
    const report = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(report).toContain('model.weights (training step)');

    // step1 … step64000 (all but step0, step1000's own bytes aside, and step143000) serve step1000's file.
    const status = await cli(['status', out]);
    const identical = STEPS.filter((s) => !(s in DISTINCT) || s === 'step1000').map((s) => `hf:EleutherAI/pythia-160m@${s}`).sort();
    expect(status).toContain(`note: ${identical.join(', ')} serve byte-identical weights`);
    expect(report).toContain(`${identical.join(', ')} serve byte-identical weights`);
  });

  test('the walks config and the pythia-70m variants run the same way', async () => {
    await cli(['download', config('pythia-70m-walks.yaml'), '--progress', 'lines']);
    const out = path.join(work, 'pythia-70m-walks');
    // Two revisions with different weights, both walks, a few steps each.
    await cli(['sweep', config('pythia-70m-walks.yaml'), `model.weights=${revisions('pythia-70m', ['step0', 'step143000'])}`, 'steps=6', 'decode.at=[6]', '--out', out], { HF_HUB_OFFLINE: '1' });
    const sweep = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { status: string; overrides: Record<string, unknown>; summary: Record<string, unknown> }[];
    expect(sweep.map((j) => `${j.overrides['walk']} ${j.status}`).sort()).toEqual(['clamped completed', 'clamped completed', 'tangent completed', 'tangent completed']);
    for (const job of sweep) expect(Number.isFinite(job.summary['outputDistance'])).toBe(true);
    // Exact sequential inversion ranked by each checkpoint's own next-token order, on two revisions.
    await cli(['download', config('pythia-70m-inversion.yaml'), '--progress', 'lines']);
    const seq = path.join(work, 'pythia-70m-sequential');
    await cli(['sweep', config('pythia-70m-inversion.yaml'), `model.weights=${revisions('pythia-70m', ['step0', 'step143000'])}`, 'method=sequential', '--out', seq], { HF_HUB_OFFLINE: '1' });
    const sequential = JSON.parse(fs.readFileSync(path.join(seq, 'sweep.json'), 'utf8')) as { status: string; summary: Record<string, unknown> }[];
    expect(sequential).toHaveLength(2);
    for (const job of sequential) expect(job.summary).toMatchObject({ exactMatch: true, rankingUsed: 'prior' });
    // The 70m inversion config resolves against the same revisions (validate reads the cache, downloads nothing).
    const before = cdnGets();
    expect(await cli(['validate', config('pythia-70m-inversion.yaml')], { HF_HUB_OFFLINE: '1' })).toMatch(/valid sweep of 20 jobs/);
    expect(cdnGets()).toBe(before);
  });
});

