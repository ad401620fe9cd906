import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointFiles, commitId, GPT2_TINY, MockHub, mountTmpfs, startMockHub, tempDir, VIT_TINY } from '@repscope/test-support';
import { createDownloadReporter, DownloadReporter } from '../download-progress';
import { ensureHubModel, hubModelRecord } from '../hub-model';
import { parseHubRef } from '../hub-ref';
import { expandPath, hubSettings, HubSettings } from '../hub-settings';

/* The cache as other tools leave it (Python's `.no_exist`, read-only shared caches) and the environment as Python reads it. */

jest.setTimeout(30_000);

const VIT = commitId('vit main');
const GPT2 = commitId('gpt2 main');
const PREPROCESSOR = Buffer.from('{"image_mean":[0.25,0.25,0.25],"image_std":[0.5,0.5,0.5]}');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

let hub: MockHub;
let settings: HubSettings;
let notes: string[];
let reporter: DownloadReporter;

const ensure = (text: string, extra: Partial<HubSettings> & { refresh?: boolean } = {}) => {
  const { refresh, ...rest } = extra;
  return ensureHubModel(parseHubRef(text), { settings: { ...settings, ...rest }, reporter, ...(refresh ? { refresh } : {}) });
};

/** Lay a snapshot out the way Python's huggingface_hub writes it (only the files given). */
function pythonSnapshot(repo: string, commit: string, files: Record<string, Buffer>): string {
  const repoDir = path.join(settings.cacheDir, `models--${repo.replace('/', '--')}`);
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'snapshots', commit), { recursive: true });
  fs.writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
  for (const [file, data] of Object.entries(files)) {
    const etag = file.endsWith('.safetensors') ? sha256(data) : gitSha1(data);
    fs.writeFileSync(path.join(repoDir, 'blobs', etag), data);
    fs.symlinkSync(path.join('..', '..', 'blobs', etag), path.join(repoDir, 'snapshots', commit, file));
  }
  return repoDir;
}

beforeAll(() => {
  process.env['REPSCOPE_HUB_RETRY_MS'] = '5';
});

beforeEach(async () => {
  hub = await startMockHub();
  hub.addRepo('google/vit-tiny', { refs: { main: VIT }, commits: { [VIT]: checkpointFiles(VIT_TINY, { 'preprocessor_config.json': PREPROCESSOR }) } });
  hub.addRepo('org/gpt2-tiny', { refs: { main: GPT2 }, commits: { [GPT2]: checkpointFiles(GPT2_TINY) } });
  settings = { endpoint: hub.url, token: undefined, offline: false, cacheDir: path.join(tempDir(), 'hub') };
  notes = [];
  reporter = { ...createDownloadReporter('silent'), note: (line) => void notes.push(line) };
});

afterEach(async () => {
  await hub.close();
});

const vitFiles = () => checkpointFiles(VIT_TINY);

describe('.no_exist: optional files the repo does not have, as Python records them', () => {
  test('a snapshot Python filled without preprocessor_config.json is not complete: the hub is asked and the file fetched', async () => {
    pythonSnapshot('google/vit-tiny', VIT, vitFiles());
    const { dir } = await ensure('hf:google/vit-tiny');
    expect(fs.readFileSync(path.join(dir, 'preprocessor_config.json'))).toEqual(PREPROCESSOR);
    // Only the missing file was fetched.
    expect(hub.requests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path)).toEqual([`/google/vit-tiny/resolve/${VIT}/preprocessor_config.json`]);
    expect(hubModelRecord(parseHubRef('hf:google/vit-tiny'), settings)!.files.map((f) => f.path)).toContain('preprocessor_config.json');
  });

  test('Python’s .no_exist/<commit>/ entries make it complete, and env.json lists those files as absent', async () => {
    const repoDir = pythonSnapshot('org/gpt2-tiny', GPT2, checkpointFiles(GPT2_TINY));
    fs.mkdirSync(path.join(repoDir, '.no_exist', GPT2), { recursive: true });
    for (const f of ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.writeFileSync(path.join(repoDir, '.no_exist', GPT2, f), '');
    await ensure('hf:org/gpt2-tiny');
    expect(hub.requests).toEqual([]);
    const record = hubModelRecord(parseHubRef('hf:org/gpt2-tiny'), settings)!;
    expect(record.absent).toEqual(['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(record.unverified).toBeUndefined();
  });

  test('our own download writes .no_exist for what the repo lacks, so the next run (ours or Python’s) asks nothing', async () => {
    await ensure('hf:org/gpt2-tiny');
    const noExist = path.join(settings.cacheDir, 'models--org--gpt2-tiny', '.no_exist', GPT2);
    expect(fs.readdirSync(noExist).sort()).toEqual(['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    const before = hub.requests.length;
    await ensure('hf:org/gpt2-tiny');
    expect(hub.requests.length).toBe(before);
    // A ViT repo that has the file: no .no_exist entry for it.
    await ensure('hf:google/vit-tiny');
    expect(fs.readdirSync(path.join(settings.cacheDir, 'models--google--vit-tiny', '.no_exist', VIT)).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
  });

  test('offline, or with the hub unreachable, such a snapshot still runs — with a line saying so and env.json listing the files as unverified', async () => {
    pythonSnapshot('google/vit-tiny', VIT, vitFiles());
    for (const extra of [{ offline: true }, { endpoint: 'http://127.0.0.1:9' }]) {
      notes = [];
      const { commit } = await ensure('hf:google/vit-tiny', extra);
      expect(commit).toBe(VIT);
      expect(notes).toEqual([expect.stringMatching(/^hf:google\/vit-tiny: the cache has no preprocessor_config\.json, tokenizer\.json, tokenizer_config\.json for commit [0-9a-f]{12} and does not say the repo lacks them; running without/)]);
    }
    expect(hub.requests).toEqual([]);
    const record = hubModelRecord(parseHubRef('hf:google/vit-tiny'), settings)!;
    expect(record.unverified).toEqual(['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(record.absent).toBeUndefined();
  });
});

describe('a read-only shared cache', () => {
  // Root writes through permission bits (chmod -R a-w stops nobody here), so the cache is made
  // read-only the way a shared one is mounted: a tmpfs filled read-write, then remounted ro.
  const probe = mountTmpfs(4096);
  const problem = typeof probe === 'string' ? probe : (probe.unmount(), undefined);
  (problem ? test.skip : test)(`\`download\` and offline runs work from a complete cache mounted read-only${problem ? ` (skipped: ${problem})` : ''}`, async () => {
    const disk = mountTmpfs(64 << 20);
    if (typeof disk === 'string') throw new Error(disk);
    try {
      settings.cacheDir = path.join(disk.dir, 'hub');
      await ensure('hf:org/gpt2-tiny');
      // As a cache an older repscope (or Python) filled: no .no_exist entries to find.
      fs.rmSync(path.join(settings.cacheDir, 'models--org--gpt2-tiny', '.no_exist'), { recursive: true, force: true });
      const remount = spawnSync('mount', ['-o', 'remount,ro', disk.dir], { encoding: 'utf8' });
      expect(remount.status).toBe(0);
      expect(() => fs.writeFileSync(path.join(settings.cacheDir, 'probe'), 'x')).toThrow(/EROFS/);

      // `repscope download` asks the hub again (refresh): refs/main already says the same commit.
      expect((await ensure('hf:org/gpt2-tiny', { refresh: true })).commit).toBe(GPT2);
      const record = hubModelRecord(parseHubRef('hf:org/gpt2-tiny'), settings)!;
      expect(record.files.map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
      const before = hub.requests.length;
      expect((await ensure('hf:org/gpt2-tiny', { offline: true })).commit).toBe(GPT2);
      expect(hub.requests.length).toBe(before);
    } finally {
      disk.unmount();
    }
  });
});

describe('the environment, read as Python reads it', () => {
  test('~ and $VAR in HF_HOME, HF_HUB_CACHE and HF_TOKEN_PATH; HUGGINGFACE_HUB_CACHE; TRANSFORMERS_OFFLINE', () => {
    const home = tempDir('home-');
    fs.mkdirSync(path.join(home, 'hf'), { recursive: true });
    fs.writeFileSync(path.join(home, 'hf', 'token'), 'hf_from_file\n');
    fs.writeFileSync(path.join(home, 'my-token'), '  corp-token \n');
    expect(hubSettings({ HOME: home, HF_HOME: '~/hf' })).toMatchObject({ cacheDir: path.join(home, 'hf', 'hub'), token: 'hf_from_file', tokenSource: path.join(home, 'hf', 'token') });
    expect(hubSettings({ HOME: home, SCRATCH: '/scratch/me', HF_HUB_CACHE: '$SCRATCH/hf-cache' }).cacheDir).toBe('/scratch/me/hf-cache');
    expect(hubSettings({ HOME: home, SCRATCH: '/scratch/me', HF_HOME: '${SCRATCH}/hf' }).cacheDir).toBe('/scratch/me/hf/hub');
    expect(hubSettings({ HOME: home, HUGGINGFACE_HUB_CACHE: '~/legacy' }).cacheDir).toBe(path.join(home, 'legacy'));
    expect(hubSettings({ HOME: home, XDG_CACHE_HOME: '~/xdg' }).cacheDir).toBe(path.join(home, 'xdg', 'huggingface', 'hub'));
    expect(hubSettings({ HOME: home }).cacheDir).toBe(path.join(home, '.cache', 'huggingface', 'hub'));
    expect(hubSettings({ HOME: home, HF_TOKEN_PATH: '~/my-token' })).toMatchObject({ token: 'corp-token' });
    expect(hubSettings({ HOME: home, HF_TOKEN: ' hf_env \n' })).toMatchObject({ token: 'hf_env', tokenSource: 'HF_TOKEN' });
    // An unset variable stays as written (Python's expandvars).
    expect(expandPath('$NOPE_NOT_SET/x', { HOME: home })).toBe('$NOPE_NOT_SET/x');
    expect(hubSettings({ HOME: home, TRANSFORMERS_OFFLINE: '1' }).offline).toBe(true);
    expect(hubSettings({ HOME: home, HF_HUB_OFFLINE: '', TRANSFORMERS_OFFLINE: 'yes' }).offline).toBe(true);
    // `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: a set HF_HUB_OFFLINE=0 wins.
    expect(hubSettings({ HOME: home, HF_HUB_OFFLINE: '0', TRANSFORMERS_OFFLINE: '1' }).offline).toBe(false);
  });

  test('the hub’s X-Error-Code and X-Error-Message become the line: gated, no such repo, revision or file, and a token the hub rejects', async () => {
    const lineOf = async (text: string, extra: Partial<HubSettings> = {}) => {
      const err = (await ensure(text, extra).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; message: string };
      expect(err.message).not.toContain('\n');
      return { code: err.code, message: err.message };
    };
    hub.addRepo('org/gated', { refs: { main: GPT2 }, commits: { [GPT2]: checkpointFiles(GPT2_TINY) }, token: 'hf_granted' });
    expect(await lineOf('hf:org/gated')).toEqual({ code: 'E_HUB_AUTH', message: expect.stringMatching(new RegExp(`refused access \\(HTTP 401\\): the repo is gated \\(GatedRepo\\) — request access at ${hub.url}/org/gated, then set HF_TOKEN`)) });
    expect(await lineOf('hf:org/gated', { token: 'hf_other' })).toEqual({ code: 'E_HUB_AUTH', message: expect.stringMatching(/gated \(GatedRepo\) and the token in HF_TOKEN has no access to it/) });
    expect(await lineOf('hf:org/nothing')).toEqual({ code: 'E_HUB_NOT_FOUND', message: expect.stringMatching(/^hf:org\/nothing: not found on .* \(HTTP 404\): no repo by that name \(RepoNotFound\)/) });
    expect(await lineOf('hf:org/gpt2-tiny@v9')).toEqual({ code: 'E_HUB_NOT_FOUND', message: expect.stringMatching(/^hf:org\/gpt2-tiny@v9: not found on .* \(HTTP 404\): the repo has no such branch, tag or commit \(RevisionNotFound\)/) });
    hub.failNext(/\/resolve\/.*config\.json$/, 404, 1, { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'config.json does not exist' });
    expect(await lineOf('hf:org/gpt2-tiny')).toEqual({ code: 'E_HUB_NOT_FOUND', message: expect.stringMatching(/^hf:org\/gpt2-tiny config\.json: not found on .*\(EntryNotFound\)/) });
    hub.rejectToken('hf_revoked');
    expect(await lineOf('hf:org/gpt2-tiny', { token: 'hf_revoked', tokenSource: '/home/me/.cache/huggingface/token' })).toEqual({
      code: 'E_HUB_AUTH',
      message: expect.stringMatching(/refused access \(HTTP 401\): it does not accept the token in \/home\/me\/\.cache\/huggingface\/token \(invalid credentials\)/),
    });
  });
});
