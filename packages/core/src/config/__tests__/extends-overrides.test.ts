import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config-error';
import { parseOverrides, parseSweepArguments } from '../overrides';
import { loadRawConfig, resolveExperiment } from '../resolve';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';

describe('extends and overrides', () => {
  test('bases merge beneath the file in list order; lists replace, mappings merge', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'base'));
    writeConfig(dir, 'base/a.yaml', 'experiment: quadratic\nsteps: 1\ndim: 4\noptimizer: { kind: sgd, lr: 0.5 }\ntags: [a, b]\n');
    writeConfig(dir, 'base/b.yaml', 'steps: 2\noptimizer: { lr: 0.25 }\n');
    const file = writeConfig(dir, 'top.yaml', 'extends: [base/a.yaml, base/b.yaml]\ndim: 6\ntags: [c]\n');
    const raw = loadRawConfig(file);
    expect(raw.data).toEqual({ experiment: 'quadratic', steps: 2, dim: 6, optimizer: { kind: 'sgd', lr: 0.25 }, tags: ['c'] });
  });

  test('a mapping tagged !replace replaces the base\'s mapping instead of merging; unknown tags are errors', () => {
    const dir = tempDir();
    writeConfig(dir, 'base.yaml', 'experiment: quadratic\nmodel: { kind: hybrid, depth: 4, normalize: none }\n');
    const raw = loadRawConfig(writeConfig(dir, 'top.yaml', 'extends: base.yaml\nmodel: !replace { kind: vit, depth: 2 }\n'));
    expect(raw.data['model']).toEqual({ kind: 'vit', depth: 2 });
    expect(() => loadRawConfig(writeConfig(dir, 'bad.yaml', 'experiment: quadratic\nmodel: !merge { kind: vit }\n'))).toThrow(/bad\.yaml:2:15 model: unknown YAML tag !merge/);
  });

  test('a base\'s errors point into the base file', async () => {
    const dir = tempDir();
    writeConfig(dir, 'base.yaml', 'experiment: quadratic\noptimizer:\n  lr: 0\n');
    const file = writeConfig(dir, 'top.yaml', 'extends: base.yaml\nsteps: 3\n');
    const err = await resolveExperiment(loadRawConfig(file), testEnvironment()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/base\.yaml:3:7 optimizer\.lr: must be > 0 \(got 0\)$/);
  });

  test('extends cycles are reported with the chain', () => {
    const dir = tempDir();
    writeConfig(dir, 'a.yaml', 'extends: b.yaml\n');
    writeConfig(dir, 'b.yaml', 'extends: a.yaml\n');
    expect(() => loadRawConfig(path.join(dir, 'a.yaml'))).toThrow(/extends cycle: .*a\.yaml → .*b\.yaml → .*a\.yaml/);
  });

  test('overrides are YAML-typed and applied after extends', async () => {
    const dir = tempDir();
    writeConfig(dir, 'base.yaml', 'experiment: quadratic\nsteps: 4\n');
    const file = writeConfig(dir, 'top.yaml', 'extends: base.yaml\n');
    const raw = loadRawConfig(file, parseOverrides(['steps=7', 'optimizer.lr=0.01', 'optimizer.kind=adam']));
    const resolved = await resolveExperiment(raw, testEnvironment());
    expect(resolved.options).toMatchObject({ steps: 7, optimizer: { kind: 'adam', lr: 0.01 } });
    expect(resolved.config.seed).toBe(0);
    expect(resolved.config.name).toBe('top');
  });

  test('relative plugin paths resolve against the file that names them; overrides against cwd', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    writeConfig(dir, 'sub/base.yaml', 'plugins: [./plugins/x]\n');
    const raw = loadRawConfig(writeConfig(dir, 'top.yaml', 'extends: sub/base.yaml\nexperiment: quadratic\n'));
    const err = (await resolveExperiment(raw, testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(err.message).toContain(`no such folder: ${path.join(dir, 'sub', 'plugins', 'x')}`);
  });

  test('sweep arguments: commas make an axis, brackets a single list value', () => {
    const { overrides, axes } = parseSweepArguments(['a.b=1,2,3', 'c=[1,2]', 'd="x,y"', 'e=5']);
    expect(axes).toEqual([{ text: 'a.b=1,2,3', path: ['a', 'b'], values: [1, 2, 3] }]);
    expect(overrides.map((o) => [o.path.join('.'), o.value])).toEqual([
      ['c', [1, 2]],
      ['d', 'x,y'],
      ['e', 5],
    ]);
  });
});
