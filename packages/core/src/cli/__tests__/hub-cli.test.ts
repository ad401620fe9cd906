import * as fs from 'node:fs';
import * as path from 'node:path';
import { GPT2_TINY } from '@repscope/test-support';
import { checkpointFiles, commitId, MockHub, startMockHub } from '@repscope/test-support';
import { tempDir } from '../../../test-support/plugin-packages';
import { runCliAsync, type CliResult } from '../../../test-support/cli';

const cli = (args: string[], env: Record<string, string>): Promise<CliResult> => runCliAsync(args, env);

jest.setTimeout(120_000);

const MAIN = commitId('cli main');
let hub: MockHub;
let env: Record<string, string>;

beforeEach(async () => {
  hub = await startMockHub();
  hub.addRepo('org/gpt2-tiny', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) } });
  env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(tempDir(), 'hub'), HF_TOKEN: '', HF_HUB_OFFLINE: '' };
});

afterEach(async () => {
  await hub.close();
});

describe('repscope download / cache', () => {
  test('two processes fetching the same model at once download it once; neither sees a partial file', async () => {
    hub.throttle(8 * 1024, 40);
    const [a, b] = await Promise.all([cli(['download', 'hf:org/gpt2-tiny'], env), cli(['download', 'org/gpt2-tiny'], env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // They overlapped: one waited for the other's lock instead of fetching.
    expect(a.stderr + b.stderr).toMatch(/model.safetensors: waiting for pid \d+/);
    for (const r of [a, b]) expect(r.stdout).toContain(`org/gpt2-tiny: commit ${MAIN}, 2 files`);
    expect(hub.requests.filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(1);
    const blobs = fs.readdirSync(path.join(env['HF_HUB_CACHE']!, 'models--org--gpt2-tiny', 'blobs'));
    expect(blobs.filter((f) => /\.(incomplete|lock)$/.test(f))).toEqual([]);
    expect(blobs).toHaveLength(2);
  });

  test('activations --weights hf:… fetches the model and writes the file', async () => {
    const out = path.join(tempDir(), 'acts.safetensors');
    const r = await cli(['activations', '--model', 'gpt2', '--weights', 'hf:org/gpt2-tiny', '--tokens', '1,2,3', '--hooks', 'logits', '--out', out, '--backend', 'cpu', '--seed', '0'], env);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(3 * 512 * 4);
    expect(hub.requests.filter((q) => q.path.startsWith('/cdn/'))).toHaveLength(1);
  });

  test('cache --json lists models, revisions and sizes; errors are one line, exit 2', async () => {
    const empty = await cli(['cache'], env);
    expect(empty.stdout).toContain('no models in');
    expect((await cli(['download', 'org/gpt2-tiny', '--progress', 'lines'], env)).code).toBe(0);
    const listed = await cli(['cache', '--json'], env);
    expect(listed.code).toBe(0);
    const json = JSON.parse(listed.stdout) as { cacheDir: string; models: { repo: string; sizeBytes: number; revisions: { commit: string; refs: string[]; files: number }[] }[] };
    expect(json.cacheDir).toBe(env['HF_HUB_CACHE']);
    expect(json.models).toEqual([expect.objectContaining({ repo: 'org/gpt2-tiny', revisions: [expect.objectContaining({ commit: MAIN, refs: ['main'], files: 2 })] })]);
    expect(json.models[0]!.sizeBytes).toBe(fs.statSync(path.join(GPT2_TINY, 'model.safetensors')).size + fs.statSync(path.join(GPT2_TINY, 'config.json')).size);

    for (const [args, pattern] of [
      [['download', 'org/nothing'], /^hf:org\/nothing: not found on /],
      [['download', 'hf:../etc'], /^download: expected hf:<org>\/<name>/],
    ] as const) {
      const r = await cli([...args], env);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)]);
    }
  });
});
