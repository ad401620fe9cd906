import { Rng } from '@repscope/models';

/** One malformed input for the CLI, and what its single error line must name. */
export interface FuzzCase {
  name: string;
  command: 'validate' | 'run' | 'sweep';
  /** The config argument (a file written below, or a device path). */
  config: string;
  args: string[];
  /** Files of the project, by relative path: text, raw bytes, a sparse file of a size, or a FIFO. */
  files: Record<string, string | Buffer | { sparseBytes: number } | 'fifo'>;
  /** The error line must match this (it names the file or override, and the key where there is one). */
  names: RegExp;
}

export const FUZZ_BASE = 'experiment: quadratic\nbackend: cpu\nsteps: 2\ndim: 4\noptimizer:\n  kind: sgd\n  lr: 0.1\n';
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Generator = (rng: Rng) => Omit<FuzzCase, 'command'> & { command?: FuzzCase['command'] };

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)]!;
const between = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);

const generators: Record<string, Generator> = {
  forbiddenKeyInFile: (rng) => {
    const key = pick(rng, FORBIDDEN);
    const where = pick(rng, ['top', 'optimizer', 'nested']);
    const text =
      where === 'top' ? `${FUZZ_BASE}${key}: { polluted: 1 }\n` : where === 'optimizer' ? `${FUZZ_BASE}  ${key}:\n    polluted: 1\n` : `${FUZZ_BASE}extra:\n  a:\n    ${key}: { x: 7 }\n`;
    return { name: `${key} in the file (${where})`, config: 'exp.yaml', args: [], files: { 'exp.yaml': text }, names: new RegExp(`^exp\\.yaml:\\d+:\\d+ \\S*${esc(key)}: is not allowed as a key`) };
  },
  forbiddenKeyInBase: (rng) => {
    const key = pick(rng, FORBIDDEN);
    return {
      name: `${key} in an extends target`,
      config: 'exp.yaml',
      args: [],
      files: { 'base.yaml': `optimizer:\n  ${key}: { polluted: 1 }\n`, 'exp.yaml': `extends: base.yaml\n${FUZZ_BASE}` },
      names: new RegExp(`^base\\.yaml:2:3 optimizer\\.${esc(key)}: is not allowed as a key`),
    };
  },
  forbiddenOverridePath: (rng) => {
    const parts = Array.from({ length: between(rng, 0, 2) }, () => pick(rng, ['optimizer', 'model', 'a', 'x']));
    parts.splice(rng.int(parts.length + 1), 0, pick(rng, FORBIDDEN));
    const text = `${parts.join('.')}.polluted=${pick(rng, ['1', 'true', '[1]', '{a: 1}'])}`;
    return { name: `override ${text}`, config: 'exp.yaml', args: [text], files: { 'exp.yaml': FUZZ_BASE }, names: new RegExp(`^override "${esc(text)}" \\S+: is not allowed as a key`) };
  },
  forbiddenOverrideValue: (rng) => {
    const text = `optimizer={kind: sgd, ${pick(rng, FORBIDDEN)}: {polluted: 1}}`;
    return { name: `override value ${text}`, config: 'exp.yaml', args: [text], files: { 'exp.yaml': FUZZ_BASE }, names: new RegExp(`^override "${esc(text)}" optimizer\\.\\w+: is not allowed as a key`) };
  },
  forbiddenSweepAxis: (rng) => {
    const key = pick(rng, FORBIDDEN);
    if (rng.next() < 0.5) {
      const text = `optimizer.${key}.x=1,2`;
      return { name: `sweep axis ${text}`, command: 'sweep', config: 'exp.yaml', args: [text], files: { 'exp.yaml': FUZZ_BASE }, names: new RegExp(`^override "${esc(text)}" optimizer\\.${esc(key)}: is not allowed`) };
    }
    return {
      name: `sweep.grid axis named with ${key}`,
      command: 'sweep',
      config: 'exp.yaml',
      args: [],
      files: { 'exp.yaml': `${FUZZ_BASE}sweep:\n  grid:\n    optimizer.${key}.x: [1, 2]\n` },
      names: new RegExp(`^exp\\.yaml:10:5 sweep\\.grid\\["optimizer\\.${esc(key)}\\.x"\\]: axis`),
    };
  },
  binary: (rng) => {
    const bytes = Buffer.from(Array.from({ length: between(rng, 16, 4096) }, () => rng.int(256)));
    bytes[rng.int(bytes.length)] = 0;
    return { name: `${bytes.length} random bytes`, config: 'exp.yaml', args: [], files: { 'exp.yaml': bytes }, names: /^exp\.yaml: not a text file \(NUL byte at offset \d+\)/ };
  },
  invalidUtf8: (rng) => {
    const at = rng.int(FUZZ_BASE.length);
    const junk = Buffer.from([0xff, ...Array.from({ length: between(rng, 0, 8) }, () => 0x80 + rng.int(128))]);
    const bytes = Buffer.concat([Buffer.from(FUZZ_BASE.slice(0, at)), junk, Buffer.from(FUZZ_BASE.slice(at))]);
    return { name: `invalid UTF-8 at ${at}`, config: 'exp.yaml', args: [], files: { 'exp.yaml': bytes }, names: /^exp\.yaml: not a text file \(invalid UTF-8 at offset \d+\)/ };
  },
  deepNesting: (rng) => {
    const depth = between(rng, 65, 20_000);
    const flow = rng.next() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
    return { name: `flow nesting ${depth} deep`, config: 'exp.yaml', args: [], files: { 'exp.yaml': `${FUZZ_BASE}extra: ${flow}\n` }, names: /^exp\.yaml:8:\d+ nested more than 64 levels deep/ };
  },
  aliasBomb: (rng) => {
    // 8^6 nodes and up: far past the alias cap (a 9^4 expansion is allowed and harmless).
    const levels = between(rng, 6, 9);
    const fanout = between(rng, 8, 12);
    const lines = [`l0: &l0 [${Array(fanout).fill('lol').join(', ')}]`];
    for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array(fanout).fill(`*l${i - 1}`).join(', ')}]`);
    return { name: `billion laughs ${fanout}^${levels}`, config: 'exp.yaml', args: [], files: { 'exp.yaml': `${FUZZ_BASE}${lines.join('\n')}\n` }, names: /^exp\.yaml:\d+:\d+ YAML aliases expand too far/ };
  },
  oversized: (rng) => {
    const bytes = between(rng, 1024 * 1024 + 1, 60 * 1024 * 1024);
    return { name: `a ${bytes}-byte config`, config: 'exp.yaml', args: [], files: { 'exp.yaml': { sparseBytes: bytes } }, names: /^exp\.yaml: config is [\d.]+ MiB; the limit is 1 MiB$/ };
  },
  wrongType: (rng) => {
    const key = pick(rng, ['steps', 'dim', 'optimizer.lr', 'seed']);
    const value = pick(rng, ['abc', '.nan', '-.inf', '[1, 2]', '{a: 1}', 'true', '-3', '0.5', '""'].filter((v) => !(key === 'optimizer.lr' && v === '0.5')));
    if (rng.next() < 0.5) {
      const text = `${key}=${value}`;
      return { name: `override ${text}`, config: 'exp.yaml', args: [text], files: { 'exp.yaml': FUZZ_BASE }, names: new RegExp(`^override "${esc(text)}" ${esc(key)}: must`) };
    }
    const line = key === 'optimizer.lr' ? '  lr: ' : `${key}: `;
    const text = key === 'seed' ? `${FUZZ_BASE}seed: ${value}\n` : FUZZ_BASE.replace(new RegExp(`^${esc(line)}.*$`, 'm'), `${line}${value}`);
    return { name: `${key}: ${value} in the file`, config: 'exp.yaml', args: [], files: { 'exp.yaml': text }, names: new RegExp(`^exp\\.yaml:\\d+:\\d+ ${esc(key)}: must`) };
  },
  misspeltKey: (rng) => {
    const key = pick(rng, ['steps', 'dim', 'backend', 'optimizer']);
    const chars = key.split('');
    const i = rng.int(chars.length - 1);
    [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
    const typo = chars.join('') === key ? key + 'z' : chars.join('');
    return { name: `${key} misspelt ${typo}`, config: 'exp.yaml', args: [], files: { 'exp.yaml': FUZZ_BASE.replace(new RegExp(`^${key}:`, 'm'), `${typo}:`) }, names: new RegExp(`^exp\\.yaml:\\d+:1 ${esc(typo)}: unknown key`) };
  },
  badOverride: (rng) => {
    const text = pick(rng, ['model..depth=1', '.steps=1', 'optimizer.=1', '=3', 'extends=base.yaml', 'steps', 'steps=[1,', 'optimizr.lr=1', 'steps.x=1']);
    return { name: `override ${text}`, config: 'exp.yaml', args: [text], files: { 'exp.yaml': FUZZ_BASE }, names: new RegExp(`^override "${esc(text)}"`) };
  },
  badSweep: (rng) => {
    const variant = pick(rng, ['empty axis', 'not a list', 'empty grid', 'empty block', 'misspelt block', 'million jobs']);
    const body: Record<string, string> = {
      'empty axis': '  grid:\n    steps: []\n',
      'not a list': '  grid:\n    steps: 3\n',
      'empty grid': '  grid: {}\n',
      'empty block': '  {}\n',
      'misspelt block': '  gird: { steps: [1, 2] }\n',
      'million jobs': ['seed', 'steps', 'dim'].map((k) => `    ${k}: [${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}]`).join('\n').replace(/^/, '  grid:\n') + '\n',
    };
    const command = rng.next() < 0.5 ? 'sweep' : 'validate';
    const yes = command === 'sweep' && variant === 'million jobs' && rng.next() < 0.5;
    return {
      name: `sweep: ${variant}${yes ? ' --yes' : ''}`,
      command,
      config: 'exp.yaml',
      args: yes ? ['--yes'] : [],
      files: { 'exp.yaml': `${FUZZ_BASE}sweep:\n${body[variant]}` },
      names: variant === 'million jobs' ? /^exp\.yaml(:8:1 sweep: 1000000 jobs|: this sweep has 1000000 jobs)/ : /^exp\.yaml:\d+:\d+ sweep/,
    };
  },
  yamlSyntax: (rng) => {
    const variant = pick(rng, ['unterminated quote', 'tab indent', 'duplicate key', 'a list', 'a scalar']);
    const text: Record<string, string> = {
      'unterminated quote': FUZZ_BASE.replace('kind: sgd', 'kind: "sgd'),
      'tab indent': FUZZ_BASE.replace('  lr: 0.1', '\tlr: 0.1'),
      'duplicate key': `${FUZZ_BASE}steps: 3\n`,
      'a list': '- experiment: quadratic\n',
      'a scalar': 'quadratic\n',
    };
    return { name: `YAML: ${variant}`, config: 'exp.yaml', args: [], files: { 'exp.yaml': text[variant]! }, names: /^exp\.yaml:\d+:\d+ / };
  },
};

/** Inputs that must be refused before anything is read from them, and a sweep too large to start unasked. */
export function fixedCases(): FuzzCase[] {
  const twoThousand = `${FUZZ_BASE}sweep:\n  grid:\n    seed: [${Array.from({ length: 40 }, (_, i) => i).join(', ')}]\n    steps: [${Array.from({ length: 50 }, (_, i) => i + 1).join(', ')}]\n`;
  return [
    { name: 'a 2000-job sweep without --yes', command: 'sweep', config: 'exp.yaml', args: [], files: { 'exp.yaml': twoThousand }, names: /^exp\.yaml: this sweep has 2000 jobs \(more than 1000\); run it with --yes/ },
    { name: '/dev/zero', command: 'run', config: '/dev/zero', args: [], files: {}, names: /^\/dev\/zero: cannot read config: not a regular file/ },
    { name: '/dev/urandom', command: 'validate', config: '/dev/urandom', args: [], files: {}, names: /^\/dev\/urandom: cannot read config: not a regular file/ },
    { name: 'a FIFO', command: 'run', config: 'pipe.yaml', args: [], files: { 'pipe.yaml': 'fifo' }, names: /^pipe\.yaml: cannot read config: not a regular file \(a named pipe\)/ },
    { name: 'a directory', command: 'validate', config: 'dir.yaml', args: [], files: { 'dir.yaml/x': 'a: 1\n' }, names: /^dir\.yaml: cannot read config: not a regular file \(a directory\)/ },
  ];
}

/** `count` seeded cases cycling through every generator, so each kind of damage is covered. */
export function fuzzCases(seed: number, count: number): FuzzCase[] {
  const rng = new Rng(seed);
  const kinds = Object.keys(generators);
  return Array.from({ length: count }, (_, i) => {
    const made = generators[kinds[i % kinds.length]!]!(rng);
    return { ...made, command: made.command ?? (rng.next() < 0.5 ? 'validate' : 'run') };
  });
}
