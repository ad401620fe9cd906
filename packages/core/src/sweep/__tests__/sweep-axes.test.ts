import { configErrorOf as errorOf } from '../../../test-support/config-errors';
import { parseYamlText } from '../../config/load-yaml';
import { applyOverrides, parseSweepArguments } from '../../config/overrides';
import { countSweepJobs, expandSweep, MAX_SWEEP_JOBS } from '../expand';

/** Jobs of a YAML config with command-line arguments, as `repscope sweep FILE ARGS…` builds them. */
function sweepOf(yaml: string, args: string[] = []) {
  const { data, locations } = parseYamlText(yaml, 's.yaml');
  const { overrides, axes } = parseSweepArguments(args);
  applyOverrides(data, locations, overrides);
  return { data, jobs: () => expandSweep(data['sweep'], axes, locations), count: () => countSweepJobs(data['sweep'], axes, locations) };
}


const labels = (yaml: string, args: string[] = []) => sweepOf(yaml, args).jobs().map((j) => j.label);

describe('malformed sweep blocks are errors, never silently ignored', () => {
  test.each([
    ['an empty axis', 'sweep:\n  grid:\n    seed: []\n', 's.yaml:3:11 sweep.grid.seed: must have at least 1 item(s) (got 0)'],
    ['a grid value that is not a list', 'sweep:\n  grid:\n    seed: 3\n    steps: [1]\n', 's.yaml:3:11 sweep.grid.seed: must be a list (got 3)'],
    ['a zip value that is not a list', 'sweep:\n  zip: { seed: x }\n', 's.yaml:2:16 sweep.zip.seed: must be a list (got "x")'],
    ['an empty grid (0 jobs)', 'sweep:\n  grid: {}\n', 's.yaml:2:9 sweep.grid: must have at least 1 key(s)'],
    ['an empty sweep block', 'sweep: {}\n', 's.yaml:1:8 sweep: must have at least 1 key(s)'],
    ['a sweep with no value', 'sweep:\n', 's.yaml:1:7 sweep: must be a mapping (got null)'],
    ['a misspelt block', 'sweep:\n  gird: { seed: [1, 2] }\n', 's.yaml:2:3 sweep.gird: unknown key. Did you mean "grid"?'],
    ['an axis with an empty key', 'sweep:\n  grid: { model..depth: [1, 2] }\n', 's.yaml:2:11 sweep.grid["model..depth"]: axis "model..depth" has an empty key between dots'],
    ['an axis on extends', 'sweep:\n  grid: { extends: [a.yaml, b.yaml] }\n', 's.yaml:2:11 sweep.grid.extends: axis "extends": extends cannot be swept'],
  ])('%s', (_what, yaml, expected) => {
    expect(errorOf(() => sweepOf(yaml).jobs())).toBe(expected);
  });
});

describe('Hydra habits on the command line', () => {
  const config = 'sweep:\n  grid:\n    model.depth: [1, 2, 3]\n    seed: [0, 1]\n';

  test('key=v1,v2 replaces the config\'s own axis for that key, in its place', () => {
    expect(labels(config, ['model.depth=7,8'])).toEqual(['model.depth=7 seed=0', 'model.depth=7 seed=1', 'model.depth=8 seed=0', 'model.depth=8 seed=1']);
    const job = sweepOf(config, ['model.depth=7,8']).jobs()[0]!;
    expect(job.assignments[0]!.location).toEqual({ source: 'override "model.depth=7,8"', baseDir: process.cwd() });
  });

  test('key=v1,v2 replaces one list of the zip axis, whose lengths must still agree', () => {
    const zip = 'sweep:\n  zip: { seed: [0, 1], name: [a, b] }\n';
    expect(labels(zip, ['seed=5,6'])).toEqual(['seed=5 name="a"', 'seed=6 name="b"']);
    expect(errorOf(() => sweepOf(zip, ['seed=5,6,7']).jobs())).toBe('s.yaml:2:3 sweep.zip: zip lists must have the same length (got seed: 3, name: 2)');
  });

  test('a single value for a grid key pins it (the command line wins); for a zip key it asks for the list', () => {
    expect(labels(config, ['seed=4'])).toEqual(['model.depth=1', 'model.depth=2', 'model.depth=3']);
    const pinned = sweepOf(config, ['seed=4']);
    expect(pinned.data['seed']).toBe(4);
    expect(errorOf(() => sweepOf('sweep:\n  zip: { seed: [0, 1], name: [a, b] }\n', ['seed=4']))).toBe(
      'override "seed=4" seed: is swept in sweep.zip together with other keys; give its whole list instead: sweep.zip.seed=[…]',
    );
    // Pinning every axis leaves nothing to sweep: said, not run as one job.
    expect(errorOf(() => sweepOf('sweep:\n  grid: { seed: [0, 1] }\n', ['seed=4']).jobs())).toContain('nothing to sweep');
  });

  test('sweep.grid.X=[…] sets an axis (dotted X is one axis name), sweep.grid.X=v1,v2 too', () => {
    expect(labels(config, ['sweep.grid.model.depth=[4,5]'])).toEqual(['model.depth=4 seed=0', 'model.depth=4 seed=1', 'model.depth=5 seed=0', 'model.depth=5 seed=1']);
    expect(labels('', ['sweep.grid.steps=1,2'])).toEqual(['steps=1', 'steps=2']);
    expect(labels('', ['sweep.zip.seed=[0,1]', 'sweep.zip.name=[a,b]'])).toEqual(['seed=0 name="a"', 'seed=1 name="b"']);
    expect(errorOf(() => sweepOf('', ['sweep.grid.steps=3']).jobs())).toBe('override "sweep.grid.steps=3" sweep.grid.steps: must be a list (got 3)');
  });
});

describe('large sweeps are counted, not expanded, before anything is built', () => {
  const axis = (name: string, n: number) => `    ${name}: [${Array.from({ length: n }, (_, i) => i).join(', ')}]\n`;
  const million = `sweep:\n  grid:\n${axis('a', 100)}${axis('b', 100)}${axis('c', 100)}`;

  test('a grid of 10^6 jobs is refused by its count, naming the axes', () => {
    const { count, jobs } = sweepOf(million);
    expect(count()).toBe(1_000_000);
    expect(errorOf(jobs)).toBe(`s.yaml:1:1 sweep: 1000000 jobs (a: 100 × b: 100 × c: 100); the most a sweep may have is ${MAX_SWEEP_JOBS}`);
  });

  test('the largest allowed sweep expands (no stack overflow; each job built from its index)', () => {
    const { jobs } = sweepOf(`sweep:\n  grid:\n${axis('a', 10)}${axis('b', 1000)}`);
    const all = jobs();
    expect(all).toHaveLength(MAX_SWEEP_JOBS);
    expect(all[MAX_SWEEP_JOBS - 1]!.label).toBe('a=9 b=999');
    expect(all[1234]!.label).toBe('a=1 b=234');
    expect(all[1234]!.dirName).toBe('1234-a=1-b=234');
  });
});
