import { LocationMap } from '../../config/location';
import { ConfigError } from '../../config/config-error';
import { parseYamlText } from '../../config/load-yaml';
import { expandSweep } from '../expand';

function jobs(yaml: string, cli: { path: string[]; values: unknown[]; text: string }[] = []) {
  const { data, locations } = parseYamlText(yaml, 's.yaml');
  return expandSweep(data['sweep'], cli, locations);
}

describe('sweep expansion', () => {
  test('grid: cartesian product, first axis slowest', () => {
    const out = jobs('sweep:\n  grid:\n    model.depth: [1, 12]\n    model.head: [true, false]\n');
    expect(out.map((j) => j.assignments.map((a) => a.value))).toEqual([
      [1, true],
      [1, false],
      [12, true],
      [12, false],
    ]);
    expect(out.map((j) => j.dirName)).toEqual(['00-depth=1-head=true', '01-depth=1-head=false', '02-depth=12-head=true', '03-depth=12-head=false']);
    expect(out[0]!.assignments[0]!.location).toMatchObject({ source: 's.yaml', line: 3 });
  });

  test('zip: lists advance together', () => {
    const out = jobs('sweep:\n  zip:\n    seed: [0, 1, 2]\n    name: [a, b, c]\n');
    expect(out.map((j) => j.label)).toEqual(['seed=0 name="a"', 'seed=1 name="b"', 'seed=2 name="c"']);
  });

  test('grid × zip × command-line axes', () => {
    const out = jobs('sweep:\n  grid: { steps: [1, 2] }\n  zip: { seed: [0, 1], dim: [3, 4] }\n', [{ path: ['optimizer', 'lr'], values: [0.1, 0.2], text: 'optimizer.lr=0.1,0.2' }]);
    expect(out).toHaveLength(8);
    expect(out[7]!.label).toBe('steps=2 optimizer.lr=0.2 seed=1 dim=4');
  });

  test('zip lists of different lengths, repeated axes and empty sweeps are errors', () => {
    expect(() => jobs('sweep:\n  zip: { seed: [0, 1], dim: [3] }\n')).toThrow('s.yaml:2:3 sweep.zip: zip lists must have the same length (got seed: 2, dim: 1)');
    expect(() => jobs('sweep:\n  grid: { seed: [0, 1] }\n  zip: { seed: [2, 3] }\n')).toThrow('"seed" is swept by more than one axis');
    expect(() => expandSweep(undefined, [], new LocationMap())).toThrow(ConfigError);
  });

  test('keys that share a last segment keep their full path in folder names', () => {
    const out = jobs('sweep:\n  grid: { model.depth: [1], judge.depth: [2] }\n');
    expect(out[0]!.dirName).toBe('00-model.depth=1-judge.depth=2');
  });

  test('swept checkpoint paths are told apart by their ends in folder names', () => {
    const out = jobs('sweep:\n  grid:\n    model.weights: [../../runs/train-tiny/checkpoints/step-000050, ../../runs/train-tiny/checkpoints/step-000100, ../../runs/train-tiny/final]\n');
    expect(out.map((j) => j.dirName)).toEqual([
      '00-weights=runs_train_tiny_checkpoints_step_000050',
      '01-weights=runs_train_tiny_checkpoints_step_000100',
      '02-weights=runs_train_tiny_final',
    ]);
  });
});
