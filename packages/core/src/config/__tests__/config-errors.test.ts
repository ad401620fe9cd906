import { ConfigError } from '../config-error';
import { parseOverrides } from '../overrides';
import { loadRawConfig, resolveExperiment } from '../resolve';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';

async function errorsOf(text: string, overrides: string[] = [], file = 'x.yaml'): Promise<string[]> {
  const dir = tempDir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    writeConfig(dir, file, text);
    const raw = loadRawConfig(file, parseOverrides(overrides));
    await resolveExperiment(raw, testEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  } finally {
    process.chdir(cwd);
  }
  return [];
}

describe('config errors: one path-first line per problem, all at once', () => {
  test('three mistakes give three lines', async () => {
    const lines = await errorsOf(['experiment: quadratic', 'stepz: 10', 'dim: "eight"', 'optimizer:', '  lr: -1', ''].join('\n'));
    expect(lines).toEqual([
      'x.yaml:2:1 stepz: unknown key. Did you mean "steps"?',
      'x.yaml:3:6 dim: must be an integer (got "eight")',
      'x.yaml:5:7 optimizer.lr: must be > 0 (got -1)',
    ]);
  });

  test('every message format', async () => {
    expect(await errorsOf('experiment: quadratc\n')).toEqual([
      expect.stringMatching(/^x\.yaml:1:13 experiment: no plugin named "quadratc"\. Did you mean "quadratic"\? Known: quadratic$/),
    ]);
    expect(await errorsOf('experiment: quadratic\noptimizer: { kind: adamw }\n')).toEqual([
      'x.yaml:2:20 optimizer.kind: must be one of "adam", "momentum", "sgd" (got "adamw"). Did you mean "adam"?',
    ]);
    expect(await errorsOf('experiment: quadratic\ndim: 5000\n')).toEqual(['x.yaml:2:6 dim: must be <= 1000 (got 5000)']);
    expect(await errorsOf('seed: 1\n')).toEqual(['x.yaml:1:1 experiment: is required']);
    expect(await errorsOf('experiment: quadratic\nbackend: gpu\n')).toEqual([
      'x.yaml:2:10 backend: must be one of "auto", "tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu" (got "gpu"). Did you mean "webgpu"?',
    ]);
    expect(await errorsOf('experiment: quadratic\nmodel: { kind: gtp2 }\n')).toEqual([
      expect.stringMatching(/^x\.yaml:2:16 model\.kind: unknown model kind "gtp2"\./),
    ]);
    expect(await errorsOf('experiment: quadratic\nsweep: { grid: { dim: [1, 2] } }\n')).toEqual([
      'x.yaml:2:1 sweep: this config defines a sweep; run it with `repscope sweep`',
    ]);
  });

  test('YAML syntax errors point at the line', async () => {
    const lines = await errorsOf('experiment: quadratic\nsteps: [1, 2\n');
    expect(lines[0]).toMatch(/^x\.yaml:\d+:\d+ YAML syntax error: /);
  });

  test('a missing file is named', () => {
    expect(() => loadRawConfig('/nonexistent/z.yaml')).toThrow('/nonexistent/z.yaml: cannot read config: file not found');
  });

  test('errors from command-line overrides name the override', async () => {
    expect(await errorsOf('experiment: quadratic\n', ['optimizer.lr=-1'])).toEqual(['override "optimizer.lr=-1" optimizer.lr: must be > 0 (got -1)']);
    expect(() => parseOverrides(['steps'])).toThrow('override "steps": expected key.path=value');
  });

  test('unknown keys in nested blocks suggest only that block\'s keys', async () => {
    expect(await errorsOf('experiment: quadratic\noptimizer: { lrr: 0.1 }\n')).toEqual(['x.yaml:2:14 optimizer.lrr: unknown key. Did you mean "lr"?']);
  });

  test('an unknown top-level key close to an envelope key suggests it', async () => {
    expect(await errorsOf('experiment: quadratic\nsed: 3\n')).toEqual(['x.yaml:2:1 sed: unknown key. Did you mean "seed"?']);
  });

  test('a file outside the current folder is shown with its absolute path', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 'far.yaml', 'experiment: quadratic\nsteps: 0\n');
    const err = (await resolveExperiment(loadRawConfig(file), testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(err.message).toBe(`${file}:2:8 steps: must be >= 1 (got 0)`);
  });
});
