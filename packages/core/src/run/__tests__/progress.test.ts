import { PassThrough } from 'node:stream';
import { createProgress, EtaEstimator } from '../progress';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.trim().split('\n').filter(Boolean) };
}

describe('progress', () => {
  test('ETA follows the recent rate, not the average since the start', () => {
    let t = 0;
    const eta = new EtaEstimator(20_000, () => t);
    eta.reset();
    // 100 fast steps (10 ms each), then the machine slows to 1 s per step
    for (let s = 1; s <= 100; s++) {
      t += 10;
      eta.record(s);
    }
    for (let s = 101; s <= 160; s++) {
      t += 1000;
      eta.record(s);
    }
    // 40 steps left at the current 1 step/s: ~40 s (the whole-run average would say ~16 s)
    expect(eta.secondsLeft(200)).toBeGreaterThan(36);
    expect(eta.secondsLeft(200)).toBeLessThan(44);
  });

  test('lines: no "loss -" without a loss, one final line however often stop is called', () => {
    let t = 0;
    const out = capture();
    const p = createProgress('lines', '[run]', out.stream, 1000, () => t);
    p.start(10, 'walk');
    for (let s = 1; s <= 10; s++) {
      t += 600;
      p.update(s);
    }
    p.stop();
    p.stop();
    const lines = out.lines();
    expect(lines.join('\n')).not.toMatch(/loss/);
    expect(lines.filter((l) => l.includes('done'))).toHaveLength(1);
    expect(lines[lines.length - 1]).toMatch(/^\[run\] walk step 10\/10 elapsed 6s done$/);
  });

  test('lines: the loss appears once reported; a run stopped early says so', () => {
    let t = 0;
    const out = capture();
    const p = createProgress('lines', '[run]', out.stream, 1000, () => t);
    p.start(10);
    t += 1500;
    p.update(3, { loss: 0.5 });
    p.stop();
    expect(out.lines()).toEqual(['[run] step 3/10 loss 0.50000 elapsed 2s eta 4s', '[run] step 3/10 loss 0.50000 elapsed 2s stopped']);
  });

  test('lines: metrics logged before the progress starts print nothing, and elapsed counts from the start', () => {
    let t = 1_765_000_000_000; // a real clock: epoch milliseconds
    const out = capture();
    const p = createProgress('lines', '[run]', out.stream, 1000, () => t);
    t += 5000;
    p.update(1);
    expect(out.lines()).toEqual([]);
    p.start(4);
    t += 2000;
    p.update(2);
    p.stop();
    expect(out.lines()).toEqual(['[run] step 2/4 elapsed 2s eta 2s', '[run] step 2/4 elapsed 2s stopped']);
  });
});
