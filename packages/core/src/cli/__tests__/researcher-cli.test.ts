import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { quadraticEntry, tempDir, writeConfig, writePluginPackage } from '../../../test-support/plugin-packages';
import { runCli } from '../../../test-support/cli';

const SHIM = path.resolve(__dirname, '..', '..', '..', 'bin', 'repscope.js');

function project(config: string): { dir: string; file: string } {
  const dir = tempDir();
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(true) });
  return { dir, file: writeConfig(dir, 'exp.yaml', config) };
}

describe('the CLI for people who run many experiments', () => {
  test('runs lists past runs newest first; compare shows config differences and summaries side by side', () => {
    const { dir } = project('experiment: quadratic\nbackend: cpu\nsteps: 3\n');
    expect(runCli(['run', 'exp.yaml', '--out', 'runs/a', 'name=first'], dir).code).toBe(0);
    expect(runCli(['run', 'exp.yaml', '--out', 'runs/b', 'name=second', 'steps=5', 'optimizer.lr=0.05'], dir).code).toBe(0);
    const table = runCli(['runs'], dir);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^started \(UTC\)\s+experiment\s+name\s+status\s+result\s+duration\s+path$/);
    expect(lines[2]).toMatch(/quadratic\s+second\s+completed\s+.*steps=5.*runs\/b$/);
    expect(lines[3]).toMatch(/quadratic\s+first\s+completed\s+.*steps=3.*runs\/a$/);
    const json = JSON.parse(runCli(['runs', 'runs', '--json'], dir).stdout) as { name: string; status: string; summary: Record<string, unknown> }[];
    expect(json.map((r) => r.name)).toEqual(['second', 'first']);
    expect(json[0]!.summary['steps']).toBe(5);

    const cmp = runCli(['compare', 'runs/a', 'runs/b'], dir);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toContain('config: 2 key(s) differ');
    expect(cmp.stdout).toMatch(/optimizer\.lr\s+0\.1\s+0\.05/);
    expect(cmp.stdout).toMatch(/steps\s+3\s+5/);
    expect(cmp.stdout).toMatch(/\* steps\s+3\s+5/);
    const bad = runCli(['compare', 'runs/a', 'exp.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('exp.yaml: not a run directory (expected config.yaml and summary.json or status.json)');
  });

  test('validate --print prints the resolved config; --jobs-list each job of a sweep', () => {
    const { dir } = project('experiment: quadratic\nsteps: 4\n');
    const printed = runCli(['validate', 'exp.yaml', 'dim=3', '--print'], dir);
    expect(printed.code).toBe(0);
    const config = parseYaml(printed.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({ experiment: 'quadratic', name: 'exp', seed: 0, dim: 3, steps: 4, optimizer: { kind: 'sgd', lr: 0.1 } });
    expect(printed.stderr).toContain('exp.yaml: valid');
    const jobs = runCli(['validate', 'exp.yaml', 'dim=1,2', 'steps=3,4', '--jobs-list'], dir);
    expect(jobs.code).toBe(0);
    expect(jobs.stdout.trim().split('\n')).toHaveLength(4);
    expect(jobs.stdout).toMatch(/^\s+0 {2}.*dim=1.*steps=3/m);
  });

  test('a missing file is reported as `file: message`; activations --help has no config to mention', () => {
    const { dir } = project('experiment: quadratic\n');
    const r = runCli(['run', 'missing.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('missing.yaml: cannot read config: file not found');
    expect(runCli(['activations', '--help'], dir).stdout).not.toMatch(/config/);
    // checked before GPT-2 small is built: one line, no model or backend lines
    const img = runCli(['activations', '--model', 'gpt2', '--image', 'nope.png', '--out', 'a.safetensors'], dir);
    expect(img.code).toBe(2);
    expect(img.stderr.trim()).toBe('nope.png: no such image file');
  });

  test('a user error from a plugin with its own copy of core prints one line, no stack', () => {
    const { dir } = project('experiment: picky\nplugins: [./picky]\n');
    // an error class that is not this core's InvalidInputError but carries exitCode 2
    fs.mkdirSync(path.join(dir, 'picky'));
    fs.writeFileSync(path.join(dir, 'picky', 'package.json'), JSON.stringify({ name: 'repscope-plugin-picky', version: '1.0.0', main: 'index.js', repscope: { plugin: './index.js', apiVersion: 1 } }));
    fs.writeFileSync(
      path.join(dir, 'picky', 'index.js'),
      `class OwnError extends Error { constructor(m) { super(m); this.exitCode = 2; } }
module.exports = { name: 'picky', version: '1.0.0', description: 'x', optionsSchema: { type: 'object', additionalProperties: false }, async run() { throw new OwnError('picky: needs a model with 3 blocks'); } };`,
    );
    fs.writeFileSync(path.join(dir, 'exp.yaml'), 'experiment: picky\nbackend: cpu\nplugins: [./picky]\n');
    const r = runCli(['run', 'exp.yaml', '--out', 'out'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).toContain('failed: picky: needs a model with 3 blocks\n  run directory: ');
  });

  test('the committed bin follows INIT_CWD under `pnpm repscope`, and asks for a build when dist/ is missing', () => {
    const { dir } = project('experiment: quadratic\n');
    const sub = path.join(dir, 'configs');
    fs.mkdirSync(sub);
    writeConfig(sub, 'here.yaml', 'experiment: quadratic\n');
    const env = { ...process.env, INIT_CWD: sub, npm_lifecycle_event: 'repscope' };
    const r = spawnSync(process.execPath, [SHIM, 'validate', 'here.yaml'], { cwd: dir, encoding: 'utf8', env });
    expect(r.stdout).toContain('here.yaml: valid');
    const unbuilt = tempDir();
    fs.mkdirSync(path.join(unbuilt, 'bin'));
    fs.copyFileSync(SHIM, path.join(unbuilt, 'bin', 'repscope.js'));
    const u = spawnSync(process.execPath, [path.join(unbuilt, 'bin', 'repscope.js'), '--help'], { encoding: 'utf8' });
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/not built yet\. Run `npx -y pnpm@9 build`/);
  });
});
