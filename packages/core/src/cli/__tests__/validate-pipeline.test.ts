import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointFiles, commitId, GPT2_TINY, MockHub, startMockHub } from '@repscope/test-support';
import { runCliAsync, type CliResult } from '../../../test-support/cli';
import { tempDir, testPluginEntry, writeConfig, writePluginPackage } from '../../../test-support/plugin-packages';

// resolve → fetch weights → check every job → create folders → run: `validate` and `sweep`
// find a bad job before any job runs, for `hf:` weights too, and `validate` downloads nothing.

const cli = (args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> => runCliAsync(args, env, cwd);

jest.setTimeout(120_000);

const MAIN = commitId('pipeline main');
let hub: MockHub;
let env: Record<string, string>;
let project: string;

/** A sweep over model.depth whose job 1 asks for more blocks than the tiny GPT-2 has (2). */
const SWEEP = (weights: string, depths: number[]) =>
  `experiment: model-probe\nbackend: cpu\nmodel: { kind: gpt2, weights: "${weights}" }\ntokens: [1, 2]\nsweep:\n  grid:\n    model.depth: [${depths.join(', ')}]\n`;

beforeEach(async () => {
  hub = await startMockHub();
  hub.addRepo('org/gpt2-tiny', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) } });
  project = tempDir('pipeline-');
  writePluginPackage(path.join(project, 'node_modules', 'repscope-plugin-model-probe'), { packageName: 'repscope-plugin-model-probe', entry: testPluginEntry('model-probe-plugin') });
  env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(project, 'hub-cache'), HF_TOKEN: '', HF_HUB_OFFLINE: '' };
});

afterEach(async () => {
  await hub.close();
});

const downloads = () => hub.requests.filter((r) => r.path.startsWith('/cdn/') && !r.range);
const cacheFiles = () => (fs.existsSync(env['HF_HUB_CACHE']!) ? fs.readdirSync(env['HF_HUB_CACHE']!, { recursive: true }).map(String) : []);

describe('one pipeline from config to artifact', () => {
  test('validate checks an hf: model it has not downloaded from its config.json and safetensors header, by range', async () => {
    const file = writeConfig(project, 'ok.yaml', SWEEP('hf:org/gpt2-tiny', [1, 2]));
    const r = await cli(['validate', file], project, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hf:org\/gpt2-tiny: not in the cache; checked from config\.json and the safetensors headers \([\d.]+ k?B read of [\d.]+ k?B, nothing downloaded\)/);
    expect(r.stdout).toContain('valid sweep of 2 jobs');
    // Two ranges for the header, no whole-file GET of the weights, and nothing in the cache.
    expect(downloads()).toEqual([]);
    expect(hub.requests.filter((q) => q.path.startsWith('/cdn/') && q.range).map((q) => q.range)).toEqual(['bytes=0-7', expect.stringMatching(/^bytes=8-\d+$/)]);
    expect(cacheFiles().filter((f) => f.includes('blobs') && f.split('/').length > 2)).toEqual([]);
  });

  test('validate of a sweep with a bad job names the job and the key, exit 2, for hf: weights not in the cache', async () => {
    const file = writeConfig(project, 'bad.yaml', SWEEP('hf:org/gpt2-tiny', [1, 5]));
    const r = await cli(['validate', file], project, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/job 1 \(model\.depth=5\):/);
    expect(r.stderr).toMatch(/model\.depth/);
    expect(r.stderr).not.toMatch(/job 0/);
    expect(downloads()).toEqual([]);
  });

  test('sweep checks every job against the fetched weights before the first job runs', async () => {
    const file = writeConfig(project, 'bad.yaml', SWEEP('hf:org/gpt2-tiny', [1, 5]));
    const out = path.join(project, 'sweep-out');
    const r = await cli(['sweep', file, '--out', out, '--jobs', '1'], project, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/job 1 \(model\.depth=5\):.*model\.depth/s);
    // Job 0 is valid, yet nothing ran: no sweep folder, no job folder.
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a valid sweep fetches the model once and runs every job', async () => {
    const file = writeConfig(project, 'ok.yaml', SWEEP('hf:org/gpt2-tiny', [1, 2]));
    const out = path.join(project, 'sweep-ok');
    const r = await cli(['sweep', file, '--out', out, '--jobs', '1'], project, env);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(downloads()).toHaveLength(1);
    const jobs = fs.readdirSync(out).filter((d) => fs.existsSync(path.join(out, d, 'summary.json')));
    expect(jobs).toHaveLength(2);
  });
});
