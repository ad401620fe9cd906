import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointFiles, commitId, MockHub, startMockHub } from '@repscope/test-support';

/* End to end: `repscope run` on a config whose weights are `hf:` references, against a mock hub on 127.0.0.1. */

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CLI = path.join(ROOT, 'packages', 'core', 'dist', 'cli', 'bin.js');
const GPT2_TINY = path.join(ROOT, 'packages', 'models', 'test-data', 'gpt2-tiny');
const MAIN = commitId('e2e main');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `pnpm repscope …` from the repository root, without blocking the mock hub in this process. */
function repscope(args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', REPSCOPE_HUB_RETRY_MS: '5', HF_TOKEN: '', HF_HUB_OFFLINE: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

let hub: MockHub;
let work: string;

function config(weights: string, judgeWeights = weights): string {
  const file = path.join(work, `${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(
    file,
    [
      'experiment: inversion',
      'backend: cpu',
      `model: { kind: gpt2, weights: "${weights}", depth: 1 }`,
      'input: { tokens: [134, 413, 282, 199] }',
      'steps: 3',
      `nextToken: { judge: { kind: gpt2, weights: "${judgeWeights}", head: true } }`,
      '',
    ].join('\n'),
  );
  return file;
}

const cacheEnv = () => ({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: fs.mkdtempSync(path.join(work, 'cache-')) });

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-hub-e2e-'));
  hub = await startMockHub();
  hub.addRepo('org/gpt2-tiny', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) } });
  const secret = commitId('secret');
  hub.addRepo('org/private', { refs: { main: secret }, commits: { [secret]: checkpointFiles(GPT2_TINY) }, token: 'hf_secret' });
  const pickled = commitId('pickled');
  hub.addRepo('org/pickled', { refs: { main: pickled }, commits: { [pickled]: { 'config.json': fs.readFileSync(path.join(GPT2_TINY, 'config.json')), 'pytorch_model.bin': Buffer.from('x') } } });
});

afterAll(async () => {
  await hub.close();
});

describe('weights: hf:… end to end', () => {
  test('the first run downloads, records repo, commit and sha256 in env.json; the second run makes no request', async () => {
    const env = cacheEnv();
    const file = config('hf:org/gpt2-tiny');
    const first = await repscope(['run', file, '--out', path.join(work, 'run1')], env);
    expect(first.stderr).not.toContain('internal error');
    expect(first.code).toBe(0);
    expect(fs.existsSync(path.join(work, 'run1', 'summary.json'))).toBe(true);
    const recorded = JSON.parse(fs.readFileSync(path.join(work, 'run1', 'env.json'), 'utf8')) as { models: { ref: string; repo: string; revision: string; commit: string; files: { path: string; sha256: string; size: number }[] }[] };
    expect(recorded.models).toEqual([
      {
        ref: 'hf:org/gpt2-tiny',
        repo: 'org/gpt2-tiny',
        revision: 'main',
        commit: MAIN,
        files: [
          { path: 'config.json', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: fs.statSync(path.join(GPT2_TINY, 'config.json')).size },
          { path: 'model.safetensors', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: fs.statSync(path.join(GPT2_TINY, 'model.safetensors')).size },
        ],
        absent: ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'],
      },
    ]);
    // The resolved config keeps the reference as written; env.json pins it.
    expect(fs.readFileSync(path.join(work, 'run1', 'config.yaml'), 'utf8')).toContain('weights: hf:org/gpt2-tiny');

    const before = hub.requests.length;
    const second = await repscope(['run', file, '--out', path.join(work, 'run2')], env);
    expect(second.code).toBe(0);
    expect(hub.requests.length).toBe(before);
    const summaries = ['run1', 'run2'].map((d) => JSON.parse(fs.readFileSync(path.join(work, d, 'summary.json'), 'utf8')) as Record<string, unknown>);
    expect(summaries[1]!['finalDistance']).toEqual(summaries[0]!['finalDistance']);
  });

  test('a sweep with --jobs 2 fetches once before the sweep folder exists; every job records the commit', async () => {
    const env = cacheEnv();
    const file = config('hf:org/gpt2-tiny');
    fs.appendFileSync(file, 'sweep: { grid: { steps: [2, 3] } }\n');
    const before = hub.requests.length;
    const out = path.join(work, 'sweep');
    const r = await repscope(['sweep', file, '--jobs', '2', '--out', out], env);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    const made = hub.requests.slice(before);
    expect(made.filter((q) => q.path.includes('/revision/'))).toHaveLength(1);
    expect(made.filter((q) => q.path.startsWith('/cdn/'))).toHaveLength(1);
    const jobs = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { dir: string; status: string }[];
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed']);
    for (const j of jobs) {
      const recorded = JSON.parse(fs.readFileSync(path.join(out, j.dir, 'env.json'), 'utf8')) as { models: { commit: string }[] };
      expect(recorded.models.map((m) => m.commit)).toEqual([MAIN]);
    }
  });

  test('each failure is one line, exit 2, and no run directory', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const deadPort = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    hub.corrupt(/^\/cdn\//);
    const cases: [string, Record<string, string>, RegExp][] = [
      ['hf:org/nothing', cacheEnv(), /^hf:org\/nothing: not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/],
      ['hf:org/private', cacheEnv(), /^hf:org\/private: .*refused access \(HTTP 401\).*set HF_TOKEN/],
      ['hf:org/gpt2-tiny', { ...cacheEnv(), HF_ENDPOINT: `http://127.0.0.1:${deadPort}` }, /^hf:org\/gpt2-tiny: cannot reach .*pre-fetch with `repscope download hf:org\/gpt2-tiny`/],
      ['hf:org/gpt2-tiny', { ...cacheEnv(), HF_HUB_OFFLINE: '1' }, /^hf:org\/gpt2-tiny: HF_HUB_OFFLINE=1 and the model is not in the cache/],
      ['hf:org/gpt2-tiny', cacheEnv(), /^hf:org\/gpt2-tiny model\.safetensors: checksum mismatch/],
      ['hf:org/pickled', cacheEnv(), /^hf:org\/pickled: the repo has only pytorch_model\.bin, a PyTorch pickle/],
      ['hf:org/../x', cacheEnv(), /^.*\.yaml:3:\d+ model\.weights: expected hf:<org>\/<name>\[@<revision>\] or hf:<name>\[@<revision>\] \(got "hf:org\/\.\.\/x"\)$/],
    ];
    try {
      const results = await Promise.all(cases.map(([weights, env], i) => repscope(['run', config(weights, weights.includes('..') ? '/nowhere' : weights), '--out', path.join(work, `fail-${i}`)], env)));
      results.forEach((r, i) => {
        expect({ case: cases[i]![0], code: r.code }).toEqual({ case: cases[i]![0], code: 2 });
        // Progress lines (`downloading …`, indented) may come first; the failure itself is one line.
        const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('downloading ') && !l.startsWith('  '));
        expect(lines).toEqual([expect.stringMatching(cases[i]![2])]);
        expect(fs.existsSync(path.join(work, `fail-${i}`))).toBe(false);
      });
    } finally {
      hub.corrupt(undefined);
    }
  });

  test('shape checks on hf: weights run once they are fetched, still before the run directory, and from the cache at validation after that', async () => {
    const env = cacheEnv();
    const file = config('hf:org/gpt2-tiny');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('depth: 1 }', 'depth: 9 }'));
    const first = await repscope(['run', file, '--out', path.join(work, 'deep-1')], env);
    expect(first.code).toBe(2);
    const lines = first.stderr.trim().split('\n').filter((l) => !l.startsWith('downloading ') && !l.startsWith('  '));
    expect(lines).toEqual([expect.stringMatching(/\.yaml:3:\d+ model\.depth: .*2 blocks/)]);
    expect(fs.existsSync(path.join(work, 'deep-1'))).toBe(false);
    // Now cached: `validate` reads the snapshot's headers and says the same without a request.
    const requests = hub.requests.length;
    const second = await repscope(['validate', file], { ...env, HF_HUB_OFFLINE: '1' });
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toMatch(/\.yaml:3:\d+ model\.depth: .*2 blocks/);
    expect(hub.requests.length).toBe(requests);
  });
});
