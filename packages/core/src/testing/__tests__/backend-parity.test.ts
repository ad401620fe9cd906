import { summaryMismatches } from '../backend-parity';

describe('summaryMismatches (backend parity of run summaries)', () => {
  const reference = { decoded: 'The sky', tokens: [464, 6766], outputDistance: 100, perPatch: [50, 1e-9], ok: true, msPerStep: 12, nested: { psnr: 20 } };

  test('accepts numbers within the relative tolerance and ignores timing', () => {
    const close = { ...reference, outputDistance: 100.005, perPatch: [50.004, 2e-9], msPerStep: 900, nested: { psnr: 20.0015 } };
    expect(summaryMismatches(close, reference)).toEqual([]);
  });

  test('names every value that differs: numbers beyond tolerance, text, booleans, lengths, missing keys', () => {
    const off = { decoded: 'The cat', tokens: [464, 6767], outputDistance: 100.02, perPatch: [50], ok: false, nested: {} };
    expect(summaryMismatches(off, reference).map((m) => m.path).sort()).toEqual(['decoded', 'nested.psnr', 'ok', 'outputDistance', 'perPatch.length', 'tokens[1]'].sort());
  });

  test('an entry near zero is held to its array\'s scale; a lone small number to itself', () => {
    expect(summaryMismatches({ v: [1, 1e-3] }, { v: [1, 1.05e-3] })).toEqual([]);
    expect(summaryMismatches({ v: 1e-3 }, { v: 1.05e-3 })).toHaveLength(1);
    expect(summaryMismatches({ v: NaN }, { v: NaN })).toEqual([]);
    expect(summaryMismatches({ v: 1 }, { v: NaN })).toHaveLength(1);
  });
});
