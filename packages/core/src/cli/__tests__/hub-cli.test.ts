import * as fs from 'node:fs';
import * as path from 'node:path';
import { GPT2_TINY } from '@repscope/test-support';
import { checkpointFiles, commitId, MockHub, startMockHub, tmpfsUnavailable, withTmpfs } from '@repscope/test-support';
import { tempDir, testPluginEntry, writePluginPackage } from '../../../test-support/plugin-packages';
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

  test('a file the hub announces as 1 TB is refused before a byte is fetched, naming the cache and its free space', async () => {
    hub.addRepo('org/huge', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) }, announcedSizes: { 'model.safetensors': 1e12 } });
    const r = await cli(['download', 'hf:org/huge'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hf:org\/huge: needs 1\.0 TB \(and [\d.]+ MB to spare\) but the disk of the Hugging Face cache \(.*, HF_HUB_CACHE\) has [\d.]+ k?[MGT]?B free/)]);
    expect(hub.requests.filter((q) => q.path.startsWith('/cdn/'))).toEqual([]);
  });

  const tmpfsProblem = tmpfsUnavailable();
  (tmpfsProblem ? test.skip : test)(`a read-only HF_HUB_CACHE is one line naming it, for download and run${tmpfsProblem ? ` (skipped: ${tmpfsProblem})` : ''}`, async () => {
    await withTmpfs(16 << 20, { readOnly: true }, async (ro) => {
      // The cache folder itself on the read-only disk (it exists), then one to be created there.
      for (const cacheDir of [ro, path.join(ro, 'hub')]) {
      const cacheEnv = { ...env, HF_HUB_CACHE: cacheDir };
      const project = tempDir('ro-cache-');
      writePluginPackage(path.join(project, 'node_modules', 'repscope-plugin-model-probe'), { packageName: 'repscope-plugin-model-probe', entry: testPluginEntry('model-probe-plugin') });
      fs.writeFileSync(path.join(project, 'exp.yaml'), 'experiment: model-probe\nbackend: cpu\nmodel: { kind: gpt2, weights: "hf:org/gpt2-tiny" }\n');
      for (const args of [['download', 'hf:org/gpt2-tiny'], ['run', path.join(project, 'exp.yaml'), '--out', path.join(project, 'out')], ['activations', '--model', 'gpt2', '--weights', 'hf:org/gpt2-tiny', '--tokens', '1,2', '--out', path.join(project, 'a.safetensors')]]) {
        const r = await runCliAsync(args, cacheEnv, project);
        expect(r.code).toBe(2);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/cannot write to the cache .* \(EROFS\); make it writable or point HF_HUB_CACHE at a folder that is/)]);
        expect(r.stderr).toContain(ro);
      }
      expect(fs.existsSync(path.join(project, 'out'))).toBe(false);
      }
    });
  });
});
