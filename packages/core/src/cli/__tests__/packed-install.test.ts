import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../../test-support/plugin-packages';

/**
 * The packages as a plugin author outside this repository gets them: `pnpm pack` the core and
 * one plugin, install the tarballs with plain npm into an empty project (dependencies from the
 * npm registry, as `npm install @repscope/core` would once published), scaffold a plugin there
 * with the installed bin, run its test, and run it and the installed plugin through the bin.
 */

const PACKAGES = path.resolve(__dirname, '..', '..', '..', '..');
const CORE = path.join(PACKAGES, 'core');
const WALKS = path.join(PACKAGES, 'plugin-walks');
const MODELS = path.join(PACKAGES, 'models');

/** The parent's pnpm/npm script variables would change how npm and the bin behave in the child. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$|PNPM_)/i.test(k)) env[k] = v;
  return { ...env, FORCE_COLOR: '0', NO_UPDATE_NOTIFIER: '1' };
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: cleanEnv() });
}

function expectOk(r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) throw new Error(`exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`);
}

const registry = sh('npm', ['ping'], process.cwd(), 30_000);
const registryReachable = registry.status === 0;
if (!registryReachable) {
  // The only reason to skip: the tarballs' dependencies (tfjs, vega, …) come from the registry.
  console.warn(`packed-install test skipped: npm cannot reach its registry (npm ping: ${(registry.stderr || registry.error?.message || '').trim().split('\n')[0]})`);
}
const online = registryReachable ? describe : describe.skip;

online('packed tarballs installed with npm outside the monorepo', () => {
  const work = tempDir('repscope-packed-');
  const packs = path.join(work, 'packs');
  const project = path.join(work, 'project');
  const bin = path.join(project, 'node_modules', '.bin', 'repscope');
  const tarballs: Record<string, string> = {};

  beforeAll(() => {
    if (!fs.existsSync(path.join(CORE, 'dist', 'index.js'))) throw new Error('packages/core/dist is missing: run `pnpm build` first (`pnpm test` does)');
    for (const dir of [MODELS, CORE, WALKS]) {
      expectOk(sh('npx', ['-y', 'pnpm@9', 'pack', '--pack-destination', packs], dir));
    }
    for (const f of fs.readdirSync(packs)) tarballs[f.includes('plugin-walks') ? 'walks' : f.includes('models') ? 'models' : 'core'] = path.join(packs, f);
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // --omit=optional: tfjs-node's install script downloads a native library from Google's
    // storage, which CI cannot reach; repscope runs on WebAssembly without it.
    expectOk(sh('npm', ['install', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', tarballs['models']!, tarballs['core']!, tarballs['walks']!], project, 300_000));
  }, 420_000);

  // the project holds ~400 MB of node_modules
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('tarballs hold the built code, types, a bin and no tests', () => {
    const list = (t: string) => sh('tar', ['tzf', t], work).stdout.trim().split('\n');
    const core = list(tarballs['core']!);
    expect(core).toEqual(expect.arrayContaining(['package/bin/repscope.js', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/testing/conformance.js', 'package/dist/sweep/worker-main.js']));
    const walks = list(tarballs['walks']!);
    for (const file of [...core, ...walks]) expect(file).not.toMatch(/__tests__|test-support|test-data|\.test\.|\.map$|\/src\//);
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', '@repscope', 'plugin-walks', 'package.json'), 'utf8'));
    expect(installed.dependencies['@repscope/core']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  test('the installed bin finds the installed plugin and runs it', () => {
    const listed = sh(bin, ['plugins', '--json'], project);
    expectOk(listed);
    const walks = (JSON.parse(listed.stdout) as { name: string; status: string; path: string }[]).find((p) => p.name === 'walks');
    expect(walks).toMatchObject({ status: 'ok' });
    expect(walks!.path).toContain(path.join(project, 'node_modules'));
    fs.writeFileSync(
      path.join(project, 'walk.yaml'),
      'experiment: walks\nmodel: { kind: gpt2, config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2 } }\nwalk: tangent\ninput: { tokens: [3, 14, 15] }\nsteps: 4\n',
    );
    const run = sh(bin, ['run', 'walk.yaml', '--out', 'runs/walk', '--progress', 'silent'], project);
    expectOk(run);
    expect(JSON.parse(fs.readFileSync(path.join(project, 'runs', 'walk', 'summary.json'), 'utf8')).status).toBe('completed');
  }, 120_000);

  test('new-plugin scaffolds a package whose test passes and which runs through the bin', () => {
    const made = sh(bin, ['new-plugin', 'layer-norms'], project);
    expectOk(made);
    const plugin = path.join(project, 'repscope-plugin-layer-norms');
    expect(fs.readdirSync(plugin).sort()).toEqual(['README.md', 'example.yaml', 'index.js', 'package.json', 'test']);
    expectOk(sh('npm', ['test'], plugin, 180_000));
    const run = sh(bin, ['run', 'example.yaml', '--out', path.join(project, 'runs', 'norms'), '--progress', 'silent'], plugin, 180_000);
    expectOk(run);
    const summary = JSON.parse(fs.readFileSync(path.join(project, 'runs', 'norms', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', experiment: 'layer-norms', blocks: 2 });
    expect(summary.finalMeanNorm).toBeGreaterThan(0);
    // a second scaffold into the same folder is refused, not merged
    const again = sh(bin, ['new-plugin', 'layer-norms'], project);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/repscope-plugin-layer-norms: already exists and is not empty/);
  }, 240_000);
});
