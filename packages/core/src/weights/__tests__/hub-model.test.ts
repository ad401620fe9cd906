import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCheckpoint } from '@repscope/models';
import { GPT2_TINY, VIT_TINY } from '@repscope/test-support';
import { checkpointFiles, closedPort, commitId, MockHub, shardedCheckpointFiles, startMockHub } from '@repscope/test-support';
import { tempDir } from '../../../test-support/plugin-packages';
import { createDownloadReporter } from '@repscope/models';
import { fetchHubWeights, hubModelRecords, withLocalWeights } from '../config-weights';
import { ensureHubModel, hubModelRecord } from '@repscope/models';
import { parseHubRef } from '@repscope/models';
import type { HubSettings } from '@repscope/models';

const quiet = createDownloadReporter('silent');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MAIN = commitId('gpt2-tiny main');
const V1 = commitId('gpt2-tiny v1');

let hub: MockHub;
let settings: HubSettings;

async function expectHubError(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<string> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; exitCode?: number; message: string } | undefined;
  expect(err).toBeDefined();
  expect(err!.code).toBe(code);
  expect(err!.exitCode).toBe(2);
  expect(err!.message).toMatch(pattern);
  expect(err!.message).not.toContain('\n');
  return err!.message;
}

const ensure = (text: string, extra: Partial<HubSettings> = {}) => ensureHubModel(parseHubRef(text), { settings: { ...settings, ...extra }, reporter: quiet });
const modelRequests = () => hub.requests.filter((r) => !r.path.startsWith('/api/')).map((r) => r.path);

beforeAll(() => {
  process.env['REPSCOPE_HUB_RETRY_MS'] = '5';
});

beforeEach(async () => {
  hub = await startMockHub();
  const tiny = checkpointFiles(GPT2_TINY, { 'pytorch_model.bin': 'not a pickle anyone should open', 'README.md': '# tiny' });
  const older = { ...checkpointFiles(GPT2_TINY), 'config.json': Buffer.from(JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(GPT2_TINY, 'config.json'), 'utf8')), note: 'v1' })) };
  hub.addRepo('openai-community/gpt2-tiny', { refs: { main: MAIN, v1: V1 }, commits: { [MAIN]: tiny, [V1]: older } });
  hub.alias('gpt2-tiny', 'openai-community/gpt2-tiny');
  settings = { endpoint: hub.url, token: undefined, offline: false, cacheDir: path.join(tempDir(), 'hub') };
});

afterEach(async () => {
  await hub.close();
});

describe('hf: models from the hub', () => {
  test('first use downloads config + safetensors into the Python layout; the second makes no request', async () => {
    const { commit, dir } = await ensure('hf:openai-community/gpt2-tiny');
    expect(commit).toBe(MAIN);
    const repoDir = path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny');
    expect(dir).toBe(path.join(repoDir, 'snapshots', MAIN));
    expect(fs.readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(MAIN);
    const weights = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
    // Snapshot entries are relative symlinks to blobs named by the hub's hash (sha256 for LFS files).
    expect(fs.readlinkSync(path.join(dir, 'model.safetensors'))).toBe(path.join('..', '..', 'blobs', sha256(weights)));
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(modelRequests().some((p) => p.endsWith('pytorch_model.bin') || p.endsWith('README.md'))).toBe(false);
    expect(openCheckpoint(dir).names()).toHaveLength(openCheckpoint(GPT2_TINY).names().length);

    const before = hub.requests.length;
    expect((await ensure('hf:openai-community/gpt2-tiny')).dir).toBe(dir);
    expect(hub.requests.length).toBe(before);

    const record = hubModelRecord(parseHubRef('hf:openai-community/gpt2-tiny'), settings)!;
    expect(record).toMatchObject({ repo: 'openai-community/gpt2-tiny', revision: 'main', commit: MAIN });
    expect(record.files.find((f) => f.path === 'model.safetensors')).toEqual({ path: 'model.safetensors', sha256: sha256(weights), size: weights.length });
    expect(record.files.find((f) => f.path === 'config.json')!.sha256).toBe(sha256(fs.readFileSync(path.join(GPT2_TINY, 'config.json'))));
  });

  test('a cache written the way Python huggingface_hub writes it is used offline, without a byte fetched', async () => {
    const repoDir = path.join(settings.cacheDir, 'models--gpt2-tiny');
    const commit = commitId('python');
    const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
    fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    fs.mkdirSync(path.join(repoDir, 'snapshots', commit), { recursive: true });
    fs.mkdirSync(path.join(settings.cacheDir, '.locks', 'models--gpt2-tiny'), { recursive: true });
    fs.writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    for (const [file, data, etag] of [
      ['config.json', fs.readFileSync(path.join(GPT2_TINY, 'config.json')), gitSha1],
      ['model.safetensors', fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors')), sha256],
    ] as const) {
      fs.writeFileSync(path.join(repoDir, 'blobs', etag(data)), data);
      fs.symlinkSync(path.join('..', '..', 'blobs', etag(data)), path.join(repoDir, 'snapshots', commit, file));
    }
    const port = await closedPort();
    for (const offline of [true, false]) {
      const { dir } = await ensure('hf:gpt2-tiny', { offline, endpoint: `http://127.0.0.1:${port}` });
      expect(dir).toBe(path.join(repoDir, 'snapshots', commit));
    }
    expect(hub.requests).toHaveLength(0);
    const record = hubModelRecord(parseHubRef('hf:gpt2-tiny'), settings)!;
    expect(record.commit).toBe(commit);
  });

  test('@revision: a tag, a commit and a renamed repo (gpt2-tiny → openai-community/gpt2-tiny)', async () => {
    const tagged = await ensure('hf:openai-community/gpt2-tiny@v1');
    expect(tagged.commit).toBe(V1);
    expect(JSON.parse(fs.readFileSync(path.join(tagged.dir, 'config.json'), 'utf8'))['note']).toBe('v1');
    expect(fs.readFileSync(path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'refs', 'v1'), 'utf8')).toBe(V1);
    const byCommit = await ensure(`hf:openai-community/gpt2-tiny@${MAIN}`);
    expect(byCommit.commit).toBe(MAIN);
    expect(fs.existsSync(path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'refs', MAIN))).toBe(false);
    // Both commits share the unchanged safetensors blob.
    expect(fs.readdirSync(path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'blobs')).filter((b) => b.length === 64)).toHaveLength(1);
    const renamed = await ensure('hf:gpt2-tiny');
    expect(renamed).toEqual({ commit: MAIN, dir: path.join(settings.cacheDir, 'models--gpt2-tiny', 'snapshots', MAIN) });
    expect(hub.requests.some((r) => r.path.startsWith('/api/models/gpt2-tiny/'))).toBe(true);
  });

  test('a sharded checkpoint: the index, then each shard; it loads like the single file', async () => {
    const commit = commitId('sharded');
    hub.addRepo('org/vit-sharded', { refs: { main: commit }, commits: { [commit]: { ...shardedCheckpointFiles(VIT_TINY, 3), 'preprocessor_config.json': Buffer.from('{"image_mean":[0.5,0.5,0.5],"image_std":[0.5,0.5,0.5]}') } } });
    const { dir } = await ensure('hf:org/vit-sharded');
    expect(fs.readdirSync(dir).sort()).toEqual([
      'config.json',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
      'preprocessor_config.json',
    ]);
    const sharded = openCheckpoint(dir);
    const single = openCheckpoint(VIT_TINY);
    expect(sharded.names().sort()).toEqual(single.names().sort());
    for (const name of single.names()) expect(sharded.read(name)).toEqual(single.read(name));
  });

  test('a connection dropped mid-file resumes with a Range request where it stopped', async () => {
    hub.dropAfter(/^\/cdn\//, 200_000);
    const { dir } = await ensure('hf:openai-community/gpt2-tiny');
    const cdn = hub.requests.filter((r) => r.path.startsWith('/cdn/'));
    expect(cdn).toHaveLength(2);
    expect(cdn[0]!.range).toBeUndefined();
    expect(cdn[1]!.range).toBe('bytes=200000-');
    expect(sha256(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha256(fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'))));
  });

  test('an interrupted download left as .incomplete (by us or by Python) is resumed by the next process', async () => {
    const weights = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
    const blobs = path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    fs.writeFileSync(path.join(blobs, `${sha256(weights)}.incomplete`), weights.subarray(0, 12345));
    await ensure('hf:openai-community/gpt2-tiny');
    expect(hub.requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.range)).toEqual(['bytes=12345-']);
  });

  test('corrupted bytes are refused: nothing enters the cache, one clear line', async () => {
    hub.corrupt(/^\/cdn\//);
    await expectHubError(ensure('hf:openai-community/gpt2-tiny'), 'E_HUB_CHECKSUM', /model\.safetensors: checksum mismatch — the hub says sha256 [0-9a-f]{64} .*nothing was cached/);
    const repoDir = path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny');
    expect(fs.readdirSync(path.join(repoDir, 'blobs')).filter((b) => b.length >= 64)).toEqual([]);
    expect(fs.existsSync(path.join(repoDir, 'snapshots', MAIN, 'model.safetensors'))).toBe(false);
    expect(fs.existsSync(path.join(repoDir, 'refs', 'main'))).toBe(false);
    hub.corrupt(undefined);
    await ensure('hf:openai-community/gpt2-tiny');
  });

  test('404, 401 and the token', async () => {
    await expectHubError(ensure('hf:nobody/nothing'), 'E_HUB_NOT_FOUND', /^hf:nobody\/nothing: not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
    await expectHubError(ensure('hf:openai-community/gpt2-tiny@no-such-branch'), 'E_HUB_NOT_FOUND', /HTTP 404/);
    const commit = commitId('private');
    hub.addRepo('org/private', { refs: { main: commit }, commits: { [commit]: checkpointFiles(GPT2_TINY) }, token: 'hf_secret' });
    await expectHubError(ensure('hf:org/private'), 'E_HUB_AUTH', /refused access \(HTTP 401\).*set HF_TOKEN/);
    await expectHubError(ensure('hf:org/private', { token: 'hf_wrong' }), 'E_HUB_AUTH', /the token in HF_TOKEN has no access/);
    expect((await ensure('hf:org/private', { token: 'hf_secret' })).commit).toBe(commit);
  });

  test('one HTTP 500 (API or file) is retried; persistent 500s are one line', async () => {
    hub.failNext(/^\/api\/models\//, 500);
    hub.failNext(/^\/cdn\//, 503);
    await ensure('hf:openai-community/gpt2-tiny');
    expect(hub.requests.filter((r) => r.path.startsWith('/api/models/openai-community/gpt2-tiny/revision/'))).toHaveLength(2);
    expect(hub.requests.filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(2);
    hub.failNext(/^\/api\/models\//, 500, 10);
    await expectHubError(ensure('hf:openai-community/gpt2-tiny@v1'), 'E_HUB_HTTP', /answered HTTP 500; try again later/);
  });

  test('a repo with only pytorch_model.bin is refused without fetching it', async () => {
    const commit = commitId('bin');
    hub.addRepo('org/pickled', { refs: { main: commit }, commits: { [commit]: { 'config.json': fs.readFileSync(path.join(GPT2_TINY, 'config.json')), 'pytorch_model.bin': Buffer.from('pickle') } } });
    await expectHubError(ensure('hf:org/pickled'), 'E_HUB_NO_SAFETENSORS', /^hf:org\/pickled: the repo has only pytorch_model\.bin, a PyTorch pickle, which repscope never loads.*safetensors/);
    expect(modelRequests()).toEqual([]);
  });

  test("the seed's ViT-L config names the hub's safetensors conversion (refs/pr/2), since main has only pickles", async () => {
    // As google/vit-large-patch16-224 is: main holds .bin/.h5/.msgpack; pull request 2 adds model.safetensors.
    const main = commitId('vit-l main');
    const pr = commitId('vit-l pr2');
    const config = fs.readFileSync(path.join(VIT_TINY, 'config.json'));
    hub.addRepo('google/vit-large-patch16-224', {
      refs: { main, 'refs/pr/2': pr },
      commits: { [main]: { 'config.json': config, 'pytorch_model.bin': Buffer.from('pickle'), 'flax_model.msgpack': Buffer.from('msgpack') }, [pr]: checkpointFiles(VIT_TINY) },
    });
    const shipped = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', '..', 'configs', 'inversion', 'trained', 'image-vit-l16-vs-hybrid.yaml'), 'utf8');
    const ref = /weights: (hf:google\/vit-large-patch16-224\S*) \}/.exec(shipped)?.[1];
    expect(ref).toBe('hf:google/vit-large-patch16-224@refs/pr/2');
    await expectHubError(ensure('hf:google/vit-large-patch16-224'), 'E_HUB_NO_SAFETENSORS', /only pytorch_model\.bin.*hf:<repo>@refs\/pr\/<n>/);
    const { commit, dir } = await ensure(ref!);
    expect(commit).toBe(pr);
    expect(openCheckpoint(dir).names().sort()).toEqual(openCheckpoint(VIT_TINY).names().sort());
    // Recorded where Python records a PR ref, so either side finds it offline.
    expect(fs.readFileSync(path.join(settings.cacheDir, 'models--google--vit-large-patch16-224', 'refs', 'refs', 'pr', '2'), 'utf8')).toBe(pr);
    expect((await ensure(ref!, { offline: true })).commit).toBe(pr);
  });

  test('offline: nothing cached, or a cache missing a file, is named; no network is the download hint', async () => {
    await expectHubError(ensure('hf:openai-community/gpt2-tiny', { offline: true }), 'E_HUB_OFFLINE', /HF_HUB_OFFLINE=1 and the model is not in the cache .*repscope download hf:openai-community\/gpt2-tiny/);
    const { dir } = await ensure('hf:openai-community/gpt2-tiny');
    fs.rmSync(path.join(dir, 'model.safetensors'));
    const before = hub.requests.length;
    await expectHubError(ensure('hf:openai-community/gpt2-tiny', { offline: true }), 'E_HUB_OFFLINE', /lacks model\.safetensors \(or model\.safetensors\.index\.json and its shards\)/);
    expect(hub.requests.length).toBe(before);
    const port = await closedPort();
    await expectHubError(ensure('hf:org/elsewhere', { endpoint: `http://127.0.0.1:${port}` }), 'E_HUB_NETWORK', /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*pre-fetch with `repscope download hf:org\/elsewhere`/);
  });

  // /dev/full answers every write with ENOSPC: a real full disk, without filling one.
  const diskFullTest = fs.existsSync('/dev/full') ? test : test.skip;
  diskFullTest('disk full is one line naming the cache (Linux /dev/full)', async () => {
    const weights = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
    const blobs = path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    fs.symlinkSync('/dev/full', path.join(blobs, `${sha256(weights)}.incomplete`));
    await expectHubError(ensure('hf:openai-community/gpt2-tiny'), 'E_HUB_DISK_FULL', /^hf:openai-community\/gpt2-tiny: disk full while writing to .*; the partial download was removed to give the space back — free space or point HF_HUB_CACHE at a larger disk$/);
    expect(fs.existsSync(path.join(blobs, sha256(weights)))).toBe(false);
    expect(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  });

  test('config helpers: every nested weights: hf: is fetched once, then mapped to its snapshot folder', async () => {
    const config = {
      model: { kind: 'hybrid', vit: { weights: 'hf:gpt2-tiny' }, gpt2: { weights: 'hf:openai-community/gpt2-tiny' } },
      nextToken: { judge: { kind: 'gpt2', weights: 'hf:openai-community/gpt2-tiny' } },
      other: { weights: '/local/folder' },
    };
    const saved = { HF_HUB_CACHE: process.env['HF_HUB_CACHE'], HF_ENDPOINT: process.env['HF_ENDPOINT'], HF_HUB_OFFLINE: process.env['HF_HUB_OFFLINE'] };
    Object.assign(process.env, { HF_HUB_CACHE: settings.cacheDir, HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '' });
    try {
      await fetchHubWeights([config], { reporter: quiet });
      // One lookup per distinct reference (the renamed one is redirected: two requests).
      expect(hub.requests.filter((r) => r.path.includes('/revision/')).map((r) => r.path)).toEqual([
        '/api/models/gpt2-tiny/revision/main',
        '/api/models/openai-community/gpt2-tiny/revision/main',
        '/api/models/openai-community/gpt2-tiny/revision/main',
      ]);
      const local = withLocalWeights(config);
      expect(local.model.gpt2.weights).toBe(path.join(settings.cacheDir, 'models--openai-community--gpt2-tiny', 'snapshots', MAIN));
      expect(local.model.vit.weights).toBe(path.join(settings.cacheDir, 'models--gpt2-tiny', 'snapshots', MAIN));
      expect(local.nextToken.judge.weights).toBe(local.model.gpt2.weights);
      expect(local.other.weights).toBe('/local/folder');
      expect(config.model.gpt2.weights).toBe('hf:openai-community/gpt2-tiny');
      expect(hubModelRecords(config).map((r) => [r.ref, r.commit])).toEqual([
        ['hf:gpt2-tiny', MAIN],
        ['hf:openai-community/gpt2-tiny', MAIN],
      ]);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
