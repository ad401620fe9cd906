import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config-error';
import { parseYamlText } from '../load-yaml';
import { LocationMap } from '../location';
import { mergeLayer, setAtPath } from '../merge';
import { parseOverrides, parseSweepArguments } from '../overrides';
import { MAX_CONFIG_BYTES } from '../read-config-file';
import { loadRawConfig, resolveExperiment } from '../resolve';
import { expandSweep } from '../../sweep/expand';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { configErrorOf } from '../../../test-support/config-errors';
import { testEnvironment } from '../../../test-support/environment';

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

function expectPrototypeUntouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  const probe = {} as Record<string, unknown>;
  expect(probe['polluted']).toBeUndefined();
  expect(probe['x']).toBeUndefined();
}


const base = 'experiment: quadratic\nsteps: 1\ndim: 4\noptimizer: { kind: sgd, lr: 0.5 }\n';

describe('prototype pollution is refused at every entry point', () => {
  afterEach(expectPrototypeUntouched);

  test.each([
    ['a top-level key', `${base}__proto__: { polluted: 1 }\n`, 'c.yaml:5:1 __proto__: is not allowed as a key'],
    ['a nested key', `${base}model:\n  kind: gpt2\n  constructor: { prototype: { polluted: 1 } }\n`, 'c.yaml:7:3 model.constructor: is not allowed'],
    ['a key inside a list', `${base}tags:\n  - prototype: 1\n`, 'c.yaml:6:5 tags[0].prototype: is not allowed'],
    ['a sweep axis', `${base}sweep:\n  grid:\n    __proto__: [1, 2]\n`, 'c.yaml:7:5 sweep.grid.__proto__: is not allowed'],
  ])('in a config file: %s', (_what, yaml, expected) => {
    const dir = tempDir();
    expect(configErrorOf(() => loadRawConfig(writeConfig(dir, 'c.yaml', yaml)))).toContain(expected);
  });

  test('in an extends target, pointing into that file', () => {
    const dir = tempDir();
    writeConfig(dir, 'base.yaml', 'optimizer:\n  __proto__:\n    polluted: 1\n');
    const top = writeConfig(dir, 'top.yaml', `extends: base.yaml\n${base}`);
    expect(configErrorOf(() => loadRawConfig(top))).toMatch(/base\.yaml:2:3 optimizer\.__proto__: is not allowed as a key/);
  });

  test.each([
    ['__proto__.polluted=1', 'override "__proto__.polluted=1" __proto__: is not allowed as a key'],
    ['model.__proto__.x=7', 'override "model.__proto__.x=7" model.__proto__: is not allowed as a key'],
    ['optimizer.constructor.prototype.x=1', 'override "optimizer.constructor.prototype.x=1" optimizer.constructor: is not allowed as a key'],
    ['model={__proto__: {polluted: 1}}', 'override "model={__proto__: {polluted: 1}}" model.__proto__: is not allowed as a key'],
  ])('in a command-line override: %s', (text, expected) => {
    expect(configErrorOf(() => parseOverrides([text]))).toBe(expected + ' (__proto__, constructor and prototype could change every object in the program)');
    expect(configErrorOf(() => parseSweepArguments([text]))).toContain(expected);
  });

  test('in a command-line sweep axis, its values, and config axis names with dots', () => {
    expect(configErrorOf(() => parseSweepArguments(['model.prototype=1,2']))).toContain('override "model.prototype=1,2" model.prototype: is not allowed');
    expect(configErrorOf(() => parseSweepArguments(['model=[{__proto__: 1}],2']))).toContain('override "model=[{__proto__: 1}],2" model[0][0].__proto__: is not allowed');
    const { data, locations } = parseYamlText(`${base}sweep:\n  grid:\n    model.__proto__.x: [1, 2]\n  zip:\n    constructor.y: [1]\n`, 's.yaml');
    const message = configErrorOf(() => expandSweep(data['sweep'], [], locations));
    expect(message).toContain('s.yaml:7:5 sweep.grid["model.__proto__.x"]: axis "model.__proto__.x": "__proto__" is not allowed as a key');
    expect(message).toContain('s.yaml:9:5 sweep.zip["constructor.y"]: axis "constructor.y"');
  });

  test('merging and setting by path copy own properties only and refuse forbidden keys even when handed them', () => {
    const top = JSON.parse('{"a": 1, "__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(() => mergeLayer({}, new LocationMap(), top, new LocationMap())).toThrow(ConfigError);
    const data: Record<string, unknown> = {};
    expect(setAtPath(data, ['__proto__', 'polluted'], 1)).toBe(false);
    expect(setAtPath(data, ['constructor', 'x'], 1)).toBe(false);
    // `{}.constructor` is inherited, not a config value: a merge must not descend into it.
    const merged = mergeLayer({}, new LocationMap(), { toString: { x: 1 } }, new LocationMap()).data;
    expect(Object.prototype.hasOwnProperty.call(merged, 'toString')).toBe(true);
    expect(Object.prototype.toString).toBe(Object.prototype.toString);
  });
});

describe('resource bombs in configs are refused before they are read', () => {
  test.each([
    ['/dev/zero', 'not a regular file (a character device)'],
    ['/dev/urandom', 'not a regular file (a character device)'],
  ])('%s', (device, expected) => {
    expect(configErrorOf(() => loadRawConfig(device))).toBe(`${device}: cannot read config: ${expected}`);
  });

  test('a directory and a named pipe (which would block a read forever)', () => {
    const dir = tempDir();
    expect(configErrorOf(() => loadRawConfig(dir))).toContain('not a regular file (a directory)');
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(configErrorOf(() => loadRawConfig(fifo))).toContain('not a regular file (a named pipe)');
  });

  test('a 50 MB config is refused by its size, naming the limit', () => {
    const dir = tempDir();
    const file = path.join(dir, 'huge.yaml');
    fs.writeFileSync(file, 'experiment: quadratic\n');
    fs.truncateSync(file, 50 * 1024 * 1024); // sparse: the test writes no 50 MB
    expect(configErrorOf(() => loadRawConfig(file))).toBe(`${path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file)}: config is 50 MiB; the limit is 1 MiB`);
    fs.writeFileSync(file, 'a: 1\n'.repeat(MAX_CONFIG_BYTES / 5 + 1));
    expect(configErrorOf(() => loadRawConfig(file))).toMatch(/config is 1\.0 MiB; the limit is 1 MiB$/);
  });

  test('binary configs give one line without their bytes', () => {
    const dir = tempDir();
    const nul = path.join(dir, 'nul.yaml');
    fs.writeFileSync(nul, Buffer.from([0x61, 0x3a, 0x20, 0x00, 0x1b, 0x5b, 0x32, 0x4a]));
    expect(configErrorOf(() => loadRawConfig(nul))).toMatch(/nul\.yaml: not a text file \(NUL byte at offset 3\); a config is UTF-8 YAML$/);
    const latin1 = path.join(dir, 'latin1.yaml');
    fs.writeFileSync(latin1, Buffer.from('name: caf\xe9\n', 'latin1'));
    expect(configErrorOf(() => loadRawConfig(latin1))).toMatch(/latin1\.yaml: not a text file \(invalid UTF-8 at offset 9\)/);
    const escapes = path.join(dir, 'esc.yaml');
    fs.writeFileSync(escapes, 'a: "\x1b[2J\x07\n');
    const message = configErrorOf(() => loadRawConfig(escapes));
    expect(message.split('\n')).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(message).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });

  test('billion laughs: alias expansion is capped', () => {
    const levels = ['a: &a [1,1,1,1,1,1,1,1,1]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill('*' + prev).join(',')}]`);
    }
    const message = configErrorOf(() => parseYamlText(levels.join('\n') + '\n', 'lol.yaml'));
    expect(message).toMatch(/^lol\.yaml:2:\d+ YAML aliases expand too far \(more than 1000 nodes/);
    const ten = (alias: string) => Array(10).fill(alias).join(',');
    const bomb = `x=[&a [1,1,1,1,1,1,1,1,1,1], &b [${ten('*a')}], &c [${ten('*b')}], &d [${ten('*c')}], [${ten('*d')}]]`;
    expect(configErrorOf(() => parseOverrides([bomb]))).toMatch(/^override "x=.*x: value is not valid YAML/);
  });

  test('nesting deeper than 64 levels (the YAML parser aborts the process near 7000)', () => {
    const deep = 'a: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n';
    expect(configErrorOf(() => parseYamlText(deep, 'deep.yaml'))).toBe('deep.yaml:1:68 nested more than 64 levels deep');
    let block = '';
    for (let i = 0; i < 80; i++) block += ' '.repeat(i) + `k${i}:\n`;
    expect(configErrorOf(() => parseYamlText(block + ' '.repeat(80) + 'v: 1\n', 'block.yaml'))).toMatch(/^block\.yaml:\d+:\d+ k0\.k1.*: nested more than 64 levels deep$/);
    expect(configErrorOf(() => parseOverrides(['x=' + '{a: '.repeat(5000) + '1' + '}'.repeat(5000)]))).toContain('x: value is nested more than 64 levels deep');
    // Brackets inside quotes and comments are text, not nesting.
    expect(parseYamlText(`s: "${'['.repeat(100)}"\n# ${'{'.repeat(100)}\n`, 'ok.yaml').data['s']).toBe('['.repeat(100));
  });
});

describe('override errors point at the override', () => {
  const dir = tempDir();
  const file = writeConfig(dir, 'c.yaml', base);

  test.each([
    ['model..depth=1', 'override "model..depth=1": "model..depth" has an empty key between dots'],
    ['.steps=1', 'override ".steps=1": ".steps" has an empty key between dots'],
    ['extends=other.yaml', 'override "extends=other.yaml" extends: cannot be set on the command line'],
    ['=3', 'override "=3": expected key.path=value'],
  ])('%s', (text, expected) => {
    expect(configErrorOf(() => loadRawConfig(file, parseOverrides([text])))).toContain(expected);
  });

  test('a key no schema knows: at the override, with a suggestion, also when it creates mappings', async () => {
    for (const [text, expected] of [
      ['optimizr.lr=1', 'override "optimizr.lr=1" optimizr: unknown key. Did you mean "optimizer"?'],
      ['optimizer.lrr=1', 'override "optimizer.lrr=1" optimizer.lrr: unknown key. Did you mean "lr"?'],
      ['stepz=3', 'override "stepz=3" stepz: unknown key. Did you mean "steps"?'],
    ] as const) {
      const err = (await resolveExperiment(loadRawConfig(file, parseOverrides([text])), testEnvironment()).catch((e: unknown) => e)) as ConfigError;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toBe(expected);
    }
  });

  test('.nan and .inf are named, not shown as null', async () => {
    const err = (await resolveExperiment(loadRawConfig(file, parseOverrides(['optimizer.lr=.nan'])), testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(err.message).toBe('override "optimizer.lr=.nan" optimizer.lr: must be > 0 (got NaN (.nan))');
    const inf = (await resolveExperiment(loadRawConfig(file, parseOverrides(['steps=-.inf'])), testEnvironment()).catch((e: unknown) => e)) as ConfigError;
    expect(inf.message).toContain('(got -infinity (-.inf))');
  });
});
