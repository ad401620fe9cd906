import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBuiltinRegistries } from '../../registry/builtins';
import { ConfigError } from '../config-error';
import { loadRawConfig, resolveExperiment } from '../resolve';
import { PluginCatalog } from '../../plugin/catalog';
import type { Plugin } from '../../plugin/types';
import { CLI_BIN, tempDir, writePluginPackage, testPluginEntry } from '../../../test-support/plugin-packages';
import modelProbePlugin from '../../../test-support/plugins/model-probe-plugin';
import { GPT2_TINY, PEAK_RSS_KIB_SOURCE, useBackend } from '@repscope/test-support';
import { InvalidInputError } from '@repscope/models';
import { Rng } from '@repscope/models';
import { readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { writeSafetensors } from '@repscope/models';

/**
 * Seeded fuzzing of untrusted checkpoints: malformed safetensors headers, index files and
 * config.json files, path-traversal names and corrupt tensors. Every case must end in one
 * line naming the file or entry (exit 2), before any run folder exists, without reading a
 * file outside the checkpoint folder, and (for the CLI cases) within bounded memory.
 */

const SEED = 1307;
const root = tempDir('ckpt-fuzz-');
const outside = path.join(root, 'outside');
const probeDir = path.join(root, 'probe');
const fixtureBytes = fs.readFileSync(path.join(GPT2_TINY, 'model.safetensors'));
const fixtureConfig = JSON.parse(fs.readFileSync(path.join(GPT2_TINY, 'config.json'), 'utf8')) as Record<string, unknown>;
const fixtureTensors = (() => {
  const header = readSafetensorsHeader(path.join(GPT2_TINY, 'model.safetensors'));
  return Object.fromEntries([...header.entries.values()].map((e) => [e.name, { shape: e.shape, data: readTensorF32(header, e) }]));
})();

interface FuzzCase {
  name: string;
  category: 'header' | 'index' | 'config' | 'traversal' | 'nan';
  dir: string;
  /** What the single error line must contain (a file, an entry or a key). */
  names: string | RegExp;
}

/** Files outside every checkpoint folder that traversal names aim at; reading one would change its atime. */
const canaries = [path.join(outside, 'model.safetensors'), path.join(outside, 'config.json')];
const OLD = new Date('2001-01-01T00:00:00Z');

function setupCanaries(): void {
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(canaries[0]!, fixtureBytes);
  fs.writeFileSync(canaries[1]!, JSON.stringify(fixtureConfig));
  for (const c of canaries) fs.utimesSync(c, OLD, new Date());
}

function canaryReads(): string[] {
  return canaries.filter((c) => fs.statSync(c).atimeMs !== OLD.getTime());
}

function header(bytes: Buffer): { json: Record<string, Record<string, unknown>>; data: Buffer } {
  const len = Number(bytes.readBigUInt64LE(0));
  return { json: JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')), data: bytes.subarray(8 + len) };
}

function withHeader(headerText: string, data: Buffer): Buffer {
  const h = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

let counter = 0;
function newCase(category: FuzzCase['category'], name: string, names: string | RegExp, files: Record<string, Buffer | string | null>): FuzzCase {
  const dir = path.join(root, 'cases', `${String(counter++).padStart(3, '0')}-${category}`, 'ckpt');
  fs.mkdirSync(dir, { recursive: true });
  const all: Record<string, Buffer | string | null> = { 'config.json': JSON.stringify(fixtureConfig), 'model.safetensors': fixtureBytes, ...files };
  for (const [file, content] of Object.entries(all)) if (content !== null) fs.writeFileSync(path.join(dir, file), content);
  return { name, category, dir, names };
}

const huge = [1e9, 1e18, 2 ** 53, 1e5, -1, 2.5, '12', null, [3], { n: 1 }];
const configKeys = ['n_layer', 'n_embd', 'n_head', 'vocab_size', 'n_positions'];

function generateCases(rng: Rng): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)]!;
  const { json, data } = header(fixtureBytes);
  const tensorNames = Object.keys(json).filter((k) => k !== '__metadata__');

  // Safetensors headers: each tensor field broken in each way, on random tensors.
  const headerMutations: [string, (h: Record<string, Record<string, unknown>>, t: string) => void][] = [
    ['dtype', (h, t) => (h[t]!['dtype'] = pick(['F128', 'f32', 7, null, '__proto__', 'constructor', 'toString']))],
    ['shape', (h, t) => (h[t]!['shape'] = pick([[1e9, 1e9], [-1], [2.5], 'x', null, [2 ** 53, 2]]))],
    ['data_offsets', (h, t) => (h[t]!['data_offsets'] = pick([[0, 1e15], [5, 1], [-4, 0], [0], 'x', [0, 0]]))],
    ['overlap', (h, t) => (h[t]!['data_offsets'] = [...(h[tensorNames[0]!]!['data_offsets'] as number[])])],
    ['entry', (h, t) => ((h as Record<string, unknown>)[t] = pick([null, 3, 'x', []]))],
    ['metadata', (h) => ((h as Record<string, unknown>)['__metadata__'] = pick([[1], 3, { a: 1 }]))],
  ];
  for (let i = 0; i < 18; i++) {
    const [what, mutate] = headerMutations[i % headerMutations.length]!;
    const h = structuredClone(json);
    const t = pick(tensorNames);
    mutate(h, t);
    cases.push(newCase('header', `header ${what} of ${t}`, 'model.safetensors', { 'model.safetensors': withHeader(JSON.stringify(h), data) }));
  }
  for (let i = 0; i < 4; i++) {
    const cut = 1 + rng.int(fixtureBytes.length - 2);
    cases.push(newCase('header', `truncated at byte ${cut}`, 'model.safetensors', { 'model.safetensors': fixtureBytes.subarray(0, cut) }));
  }
  const lengthBomb = Buffer.from(fixtureBytes);
  lengthBomb.writeBigUInt64LE(BigInt(2) ** BigInt(62), 0);
  cases.push(newCase('header', 'header length 2^62', 'model.safetensors', { 'model.safetensors': lengthBomb }));
  const many = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`t${i}`, { dtype: 'U8', shape: [0], data_offsets: [0, 0] }]));
  cases.push(newCase('header', '70 000 empty tensors', 'more than the 65536 tensors', { 'model.safetensors': withHeader(JSON.stringify(many), data) }));
  cases.push(newCase('header', 'header is an array', 'model.safetensors', { 'model.safetensors': withHeader('[1,2,3]', data) }));
  cases.push(newCase('header', 'header is not JSON', 'model.safetensors', { 'model.safetensors': withHeader('{"a": ', data) }));

  // config.json: every dimension given a hostile value; broken JSON; bombs within the bounds.
  for (let i = 0; i < 20; i++) {
    const key = configKeys[i % configKeys.length]!;
    const value = pick(huge);
    // In-range values (vocab_size 1e5) make a valid config.json that the tensors then contradict.
    cases.push(newCase('config', `config ${key}=${JSON.stringify(value)}`, /config\.json|does not match GPT-2/, { 'config.json': JSON.stringify({ ...fixtureConfig, [key]: value, ...(key === 'n_positions' ? { n_ctx: value } : {}) }) }));
  }
  cases.push(newCase('config', 'config within bounds but too big for memory', 'needs about', { 'config.json': JSON.stringify({ ...fixtureConfig, n_layer: 1024, n_embd: 65536, n_head: 1024 }) }));
  cases.push(newCase('config', 'config n_layer 1000 (every block missing)', 'and 11970 more', { 'config.json': JSON.stringify({ ...fixtureConfig, n_layer: 1000 }) }));
  cases.push(newCase('config', 'config not JSON', 'config.json', { 'config.json': '{"n_layer": 2,' }));
  cases.push(newCase('config', 'config is an array', 'config.json', { 'config.json': '[1]' }));
  cases.push(newCase('config', 'config activation', 'activation_function', { 'config.json': JSON.stringify({ ...fixtureConfig, activation_function: { toString: 1 } }) }));
  cases.push(newCase('config', 'config 17 MB', 'config.json', { 'config.json': JSON.stringify({ ...fixtureConfig, pad: 'x'.repeat(17 * 1024 * 1024) }) }));
  cases.push(newCase('config', 'no config.json', 'no config.json', { 'config.json': null }));

  // Index files: wrong types and names that leave the folder.
  const shard = 'model-00001-of-00001.safetensors';
  const index = (map: unknown) => JSON.stringify({ metadata: {}, weight_map: map });
  const everyTensor = (file: string) => Object.fromEntries(tensorNames.map((n) => [n, file]));
  for (const [what, map] of [
    ['array', tensorNames],
    ['string', shard],
    ['number values', Object.fromEntries(tensorNames.map((n, i) => [n, i]))],
    ['null', null],
    ['empty', {}],
    ['missing shard', everyTensor('model-00002-of-00002.safetensors')],
  ] as [string, unknown][]) {
    cases.push(newCase('index', `weight_map ${what}`, 'model.safetensors.index.json', { 'model.safetensors': null, [shard]: fixtureBytes, 'model.safetensors.index.json': index(map) }));
  }
  for (let i = 0; i < 6; i++) {
    // Enough ../ to reach / from <root>/cases/<n>/ckpt, and sometimes more (clamped at /).
    const ups = root.split(path.sep).length + 2 + rng.int(3);
    const target = pick(['outside/model.safetensors', 'outside/config.json']);
    const name = `${'../'.repeat(ups)}${path.relative('/', root)}/${target}`.replace(/\\/g, '/');
    const entry = pick(tensorNames);
    cases.push(newCase('traversal', `weight_map[${entry}] = ${name}`, `weight_map["${entry}"]`, { 'model.safetensors': null, [shard]: fixtureBytes, 'model.safetensors.index.json': index({ ...everyTensor(shard), [entry]: name }) }));
  }
  cases.push(newCase('traversal', 'weight_map names ../../../outside', 'points outside', { 'model.safetensors': null, 'model.safetensors.index.json': index(everyTensor('../../../outside/model.safetensors')) }));
  cases.push(newCase('traversal', 'weight_map names an absolute path', 'absolute path', { 'model.safetensors': null, 'model.safetensors.index.json': index(everyTensor(canaries[0])) }));
  const viaLink = newCase('traversal', 'model.safetensors is a symlink out of the folder', 'symlink', { 'model.safetensors': null });
  fs.symlinkSync(canaries[0]!, path.join(viaLink.dir, 'model.safetensors'));
  cases.push(viaLink);
  const configLink = newCase('traversal', 'config.json is a symlink out of the folder', 'symlink', { 'config.json': null });
  fs.symlinkSync(canaries[1]!, path.join(configLink.dir, 'config.json'));
  cases.push(configLink);
  const shardLink = newCase('traversal', 'a shard is a symlink out of the folder', 'symlink', { 'model.safetensors': null, 'model.safetensors.index.json': index(everyTensor(shard)) });
  fs.symlinkSync(canaries[0]!, path.join(shardLink.dir, shard));
  cases.push(shardLink);
  if (process.platform !== 'win32') {
    for (const file of ['model.safetensors', 'config.json']) {
      const fifo = newCase('traversal', `${file} is a FIFO`, 'FIFO', { [file]: null });
      spawnSyncChecked('mkfifo', [path.join(fifo.dir, file)]);
      cases.push(fifo);
    }
  }

  // Corrupt values: headers are fine, one element of one tensor is NaN or ±Infinity.
  for (let i = 0; i < 4; i++) {
    const t = pick(tensorNames);
    const tensors = structuredClone(fixtureTensors);
    const at = rng.int(tensors[t]!.data.length);
    tensors[t]!.data[at] = pick([NaN, Infinity, -Infinity]);
    const dir = newCase('nan', `non-finite ${t}[${at}]`, `tensor "${t}"`, { 'model.safetensors': null });
    writeSafetensors(path.join(dir.dir, 'model.safetensors'), tensors, pick(['F32', 'F16', 'BF16'] as const));
    cases.push(dir);
  }
  return cases;
}

function spawnSyncChecked(cmd: string, args: string[]): void {
  if (spawnSync(cmd, args).status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

function configFor(c: FuzzCase): string {
  const file = path.join(path.dirname(c.dir), 'exp.yaml');
  fs.writeFileSync(file, `experiment: model-probe\nplugins: [${path.relative(path.dirname(file), probeDir)}]\nbackend: cpu\nmodel: { kind: gpt2, weights: ./ckpt }\n`);
  return file;
}

const env = { catalog: PluginCatalog.fromPlugins([modelProbePlugin as unknown as Plugin<Record<string, unknown>>]), baseRegistries: createBuiltinRegistries() };
let cases: FuzzCase[];

beforeAll(async () => {
  await useBackend('cpu');
  setupCanaries();
  writePluginPackage(probeDir, { packageName: 'repscope-plugin-model-probe', entry: testPluginEntry('model-probe-plugin') });
  cases = generateCases(new Rng(SEED));
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function expectOneLine(message: string, c: FuzzCase, configFile: string): void {
  expect(message.split('\n')).toHaveLength(1);
  expect(message).not.toMatch(/\n\s+at /);
  expect(message).toContain(path.basename(configFile));
  if (typeof c.names === 'string') expect(message).toContain(c.names);
  else expect(message).toMatch(c.names);
}

describe('seeded checkpoint fuzzing', () => {
  test('every malformed checkpoint is refused before the run, in one line naming the file or entry, reading nothing outside its folder', async () => {
    expect(cases.length).toBeGreaterThan(60);
    const seen = new Set<string>();
    for (const c of cases) {
      const file = configFor(c);
      const raw = loadRawConfig(file);
      if (c.category === 'nan') {
        // Headers are valid, so the pre-run check passes; the values are checked as they are read.
        const resolved = await resolveExperiment(raw, env);
        const kind = resolved.registries.models.get('gpt2');
        const err = await kind.create(resolved.config.model as never, { seed: 0, rng: new Rng(0), log: () => {} }).then(
          (m) => (m.dispose(), undefined),
          (e: unknown) => e,
        );
        if (!(err instanceof InvalidInputError)) throw new Error(`case "${c.name}": ${(err as Error)?.stack ?? 'was accepted'}`);
        expect((err as Error).message).toContain(c.names as string);
        expect((err as Error).message).toMatch(/holds (NaN|Infinity|-Infinity) at element \d+/);
        continue;
      }
      const err = await resolveExperiment(raw, env).then(
        () => new Error(`case "${c.name}" was accepted`),
        (e: unknown) => e,
      );
      if (!(err instanceof ConfigError)) throw new Error(`case "${c.name}": ${(err as Error).stack}`);
      expectOneLine(err.message, c, file);
      expect(err.message).toContain('model.weights');
      seen.add(c.category);
    }
    expect([...seen].sort()).toEqual(['config', 'header', 'index', 'traversal']);
    expect(canaryReads()).toEqual([]);
  });

  test('the CLI: exit 2, one line, no run folder, bounded memory, nothing read outside (one case per kind)', async () => {
    const probe = path.join(root, 'rss-probe.js');
    fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(process.env.RSS_OUT, String(${PEAK_RSS_KIB_SOURCE})));\n`);
    const chosen = ['header', 'index', 'traversal', 'config'].flatMap((k) => cases.filter((c) => c.category === k).slice(-1));
    chosen.push(...cases.filter((c) => /too big for memory|17 MB|model.safetensors is a FIFO/.test(c.name)));
    const results = await Promise.all(
      chosen.map(async (c, i) => {
        const file = configFor(c);
        const out = path.join(root, `run-${i}`);
        const rssFile = path.join(root, `rss-${i}`);
        const r = await runNode(['-r', probe, CLI_BIN, 'run', file, '--out', out], path.dirname(file), { RSS_OUT: rssFile });
        return { c, file, out, r, rssKb: Number(fs.readFileSync(rssFile, 'utf8')) };
      }),
    );
    for (const { c, file, out, r, rssKb } of results) {
      expect({ name: c.name, code: r.code }).toEqual({ name: c.name, code: 2 });
      expectOneLine(r.stderr.trim(), c, file);
      expect(fs.existsSync(out)).toBe(false);
      // A bare CLI start takes ~130 MB; the malformed input must not add a bomb's worth.
      if (!(rssKb > 0 && rssKb / 1024 < 400)) throw new Error(`case "${c.name}": peak RSS ${(rssKb / 1024).toFixed(0)} MB`);
    }
    expect(canaryReads()).toEqual([]);
  }, 120_000);

  test('the CLI: NaN weights fail the run at load with exit 2 and the tensor named', async () => {
    const c = cases.find((x) => x.category === 'nan')!;
    const file = configFor(c);
    const out = path.join(root, 'run-nan');
    const r = await runNode([CLI_BIN, 'run', file, '--out', out, '--progress', 'silent'], path.dirname(file));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(c.names as string);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('diverged');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'))['status']).toBe('failed');
    expect(fs.existsSync(path.join(out, 'summary.json'))).toBe(false);
  }, 60_000);
});

function runNode(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
