import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { checkpointFiles, commitId, GPT2_TINY, MockHub, mountTmpfs, startForwardProxy, startMockHub } from '@repscope/test-support';
import { tempDir, testPluginEntry, writePluginPackage } from '../../../test-support/plugin-packages';
import { runCliAsync } from '../../../test-support/cli';

/* The built CLI against the hub on a real network's terms: a proxy, a read-only shared cache, a cache Python filled in part. */

jest.setTimeout(120_000);

const MAIN = commitId('network cli main');
let hub: MockHub;
let env: Record<string, string>;
let project: string;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const EXPERIMENT = 'experiment: model-probe\nbackend: cpu\nmodel: { kind: gpt2, weights: "hf:org/gpt2-tiny" }\n';

beforeEach(async () => {
  hub = await startMockHub({ cdn: 'separate' });
  hub.addRepo('org/gpt2-tiny', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) } });
  project = tempDir('hub-network-cli-');
  writePluginPackage(path.join(project, 'node_modules', 'repscope-plugin-model-probe'), { packageName: 'repscope-plugin-model-probe', entry: testPluginEntry('model-probe-plugin') });
  fs.writeFileSync(path.join(project, 'exp.yaml'), EXPERIMENT);
  // No proxy from the machine running the tests leaks in; each test sets what it needs.
  env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(project, 'hub'), HF_TOKEN: '', HF_HUB_OFFLINE: '', TRANSFORMERS_OFFLINE: '', HTTP_PROXY: '', http_proxy: '', HTTPS_PROXY: '', https_proxy: '', ALL_PROXY: '', all_proxy: '', NO_PROXY: '', no_proxy: '' };
});

afterEach(async () => {
  await hub.close();
});

const envJson = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'env.json'), 'utf8')) as { models: { commit: string; absent?: string[]; unverified?: string[] }[] };

describe('repscope download / run on real networks', () => {
  test('download through HTTP_PROXY with a token that is not hf_…: the proxy carries every request, the CDN never sees the token', async () => {
    const proxy = await startForwardProxy();
    try {
      hub.addRepo('corp/gpt2', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) }, token: 'mirror-token' });
      const r = await runCliAsync(['download', 'hf:corp/gpt2', '--progress', 'lines'], { ...env, HTTP_PROXY: proxy.url, HF_TOKEN: 'mirror-token' }, project);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.code).toBe(0);
      expect(proxy.requests.length).toBe(hub.requests.length);
      expect(hub.requests.filter((q) => q.cdn)).toEqual([expect.objectContaining({ path: expect.stringMatching(/^\/cdn\//) })]);
      expect(hub.requests.filter((q) => q.cdn && q.authorization)).toEqual([]);
      expect(hub.requests.filter((q) => !q.cdn).every((q) => q.authorization === 'Bearer mirror-token')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  const openssl = spawnSync('openssl', ['version']).status === 0 ? undefined : 'no openssl to make a certificate';
  (openssl ? test.skip : test)(`an https hub through HTTPS_PROXY (CONNECT, the certificate verified), its http CDN through HTTP_PROXY${openssl ? ` (skipped: ${openssl})` : ''}`, async () => {
    // A certificate for 127.0.0.1 that the CLI trusts through NODE_EXTRA_CA_CERTS: TLS is checked for real.
    const certDir = tempDir('hub-tls-');
    const [key, cert] = [path.join(certDir, 'key.pem'), path.join(certDir, 'cert.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    // TLS in front of the mock hub, as huggingface.co is served.
    const upstream = new URL(hub.url);
    const front = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
      const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const endpoint = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    // One proxy per scheme: the hub is https (HTTPS_PROXY), this mock's CDN plain http (HTTP_PROXY).
    const [httpsProxy, httpProxy] = [await startForwardProxy(), await startForwardProxy()];
    try {
      hub.addRepo('corp/gpt2', { refs: { main: MAIN }, commits: { [MAIN]: checkpointFiles(GPT2_TINY) }, token: 'mirror-token' });
      const r = await runCliAsync(
        ['download', 'hf:corp/gpt2'],
        { ...env, HF_ENDPOINT: endpoint, HF_TOKEN: 'mirror-token', HTTPS_PROXY: httpsProxy.url, HTTP_PROXY: httpProxy.url, NODE_EXTRA_CA_CERTS: cert },
        project,
      );
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.code).toBe(0);
      expect(hub.requests.filter((q) => q.cdn)).toHaveLength(1);
      expect(hub.requests.filter((q) => !q.cdn).every((q) => q.authorization === 'Bearer mirror-token')).toBe(true);
      expect(httpsProxy.requests.length).toBeGreaterThan(0);
      expect(httpsProxy.requests.every((q) => q.method === 'CONNECT' && q.target === endpoint.replace('https://', ''))).toBe(true);
      expect(httpProxy.requests).toEqual([{ method: 'GET', target: expect.stringMatching(new RegExp(`^${hub.cdnUrl}/cdn/[0-9a-f]{64}$`)) }]);
    } finally {
      await Promise.all([httpsProxy.close(), httpProxy.close()]);
      front.closeAllConnections();
      await new Promise<void>((r) => front.close(() => r()));
    }
  });

  const probe = mountTmpfs(4096);
  const problem = typeof probe === 'string' ? probe : (probe.unmount(), undefined);
  // Root ignores permission bits, so "read-only" is a tmpfs remounted ro, as a shared cache is mounted.
  (problem ? test.skip : test)(`download and run (online and offline) from a complete cache mounted read-only${problem ? ` (skipped: ${problem})` : ''}`, async () => {
    const disk = mountTmpfs(64 << 20);
    if (typeof disk === 'string') throw new Error(disk);
    try {
      const cacheEnv = { ...env, HF_HUB_CACHE: path.join(disk.dir, 'hub') };
      expect((await runCliAsync(['download', 'hf:org/gpt2-tiny'], cacheEnv, project)).code).toBe(0);
      expect(spawnSync('mount', ['-o', 'remount,ro', disk.dir]).status).toBe(0);
      const again = await runCliAsync(['download', 'hf:org/gpt2-tiny'], cacheEnv, project);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`hf:org/gpt2-tiny: commit ${MAIN}, 2 files`);
      const variants: Record<string, string>[] = [{}, { HF_HUB_OFFLINE: '1' }, { TRANSFORMERS_OFFLINE: '1' }];
      for (const [i, extra] of variants.entries()) {
        const out = path.join(project, `run-${i}`);
        const r = await runCliAsync(['run', path.join(project, 'exp.yaml'), '--out', out], { ...cacheEnv, ...extra }, project);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(r.code).toBe(0);
        expect(envJson(out).models.map((m) => m.commit)).toEqual([MAIN]);
      }
    } finally {
      disk.unmount();
    }
  });

  test('online, a snapshot Python filled with config and weights only is completed before the run: the hub is asked once, .no_exist written, env.json says absent', async () => {
    const repoDir = pythonSnapshot();
    const out = path.join(project, 'online');
    const r = await runCliAsync(['run', path.join(project, 'exp.yaml'), '--out', out], env, project);
    expect(r.code).toBe(0);
    expect(hub.requests.map((q) => q.path)).toEqual([`/api/models/org/gpt2-tiny/revision/main`]);
    expect(fs.readdirSync(path.join(repoDir, '.no_exist', MAIN)).sort()).toEqual(['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(envJson(out).models[0]).toMatchObject({ commit: MAIN, absent: ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] });
    expect(envJson(out).models[0]!.unverified).toBeUndefined();
    const again = await runCliAsync(['run', path.join(project, 'exp.yaml'), '--out', path.join(project, 'online-2')], env, project);
    expect(again.code).toBe(0);
    expect(hub.requests).toHaveLength(1);
  });

  test('offline on a cache Python filled with config and weights only: the run says which optional files it could not check, and env.json lists them', async () => {
    const repoDir = pythonSnapshot();
    fs.mkdirSync(path.join(repoDir, '.no_exist', MAIN), { recursive: true });
    fs.writeFileSync(path.join(repoDir, '.no_exist', MAIN, 'preprocessor_config.json'), '');
    const out = path.join(project, 'offline');
    const r = await runCliAsync(['run', path.join(project, 'exp.yaml'), '--out', out], { ...env, HF_HUB_OFFLINE: '1' }, project);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/hf:org\/gpt2-tiny: the cache has no tokenizer\.json, tokenizer_config\.json for commit [0-9a-f]{12} and does not say the repo lacks them; running without/);
    expect(envJson(out).models[0]).toMatchObject({ commit: MAIN, absent: ['preprocessor_config.json'], unverified: ['tokenizer.json', 'tokenizer_config.json'] });
    expect(hub.requests).toEqual([]);
  });
});

/** config.json and model.safetensors of org/gpt2-tiny laid out as Python's huggingface_hub writes them, and nothing else. */
function pythonSnapshot(): string {
  const repoDir = path.join(env['HF_HUB_CACHE']!, 'models--org--gpt2-tiny');
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'snapshots', MAIN), { recursive: true });
  fs.writeFileSync(path.join(repoDir, 'refs', 'main'), MAIN);
  for (const file of ['config.json', 'model.safetensors']) {
    const data = fs.readFileSync(path.join(GPT2_TINY, file));
    const etag = file === 'config.json' ? createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex') : sha256(data);
    fs.writeFileSync(path.join(repoDir, 'blobs', etag), data);
    fs.symlinkSync(path.join('..', '..', 'blobs', etag), path.join(repoDir, 'snapshots', MAIN, file));
  }
  return repoDir;
}
