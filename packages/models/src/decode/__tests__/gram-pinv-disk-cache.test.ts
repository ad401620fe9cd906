import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddingHash, readGramPinv, repscopeCacheDir, writeGramPinv } from '../gram-pinv-disk-cache';

describe('(WᵀW)⁺ disk cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-pinv-cache-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = 5;
  const values = Float32Array.from({ length: d * d }, (_, i) => Math.sin(i) * 1e-3);
  const key = embeddingHash(Float32Array.from({ length: 40 }, (_, i) => i), d);
  const file = path.join(dir, 'gram-pinv', `${key}.bin`);

  test('round trip is exact; a different embedding has a different key', () => {
    writeGramPinv(dir, key, d, values);
    expect(readGramPinv(dir, key, d)).toEqual(values);
    expect(embeddingHash(Float32Array.from({ length: 40 }, (_, i) => (i === 7 ? 7.5 : i)), d)).not.toBe(key);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a damaged, truncated or foreign file is a miss, not a wrong matrix', () => {
    writeGramPinv(dir, key, d, values);
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x40;
    for (const bad of [flipped, good.subarray(0, good.length - 4), Buffer.concat([Buffer.from('NOTPINV!'), good.subarray(8)])]) {
      fs.writeFileSync(file, bad);
      expect(readGramPinv(dir, key, d)).toBeUndefined();
    }
    fs.writeFileSync(file, good);
    expect(readGramPinv(dir, key, 6)).toBeUndefined();
    expect(readGramPinv(dir, '../../etc/passwd', d)).toBeUndefined();
    expect(readGramPinv(dir, key, 1e6)).toBeUndefined();
  });

  test('REPSCOPE_CACHE_DIR chooses the folder, empty turns the cache off', () => {
    const saved = process.env['REPSCOPE_CACHE_DIR'];
    try {
      process.env['REPSCOPE_CACHE_DIR'] = dir;
      expect(repscopeCacheDir()).toBe(dir);
      process.env['REPSCOPE_CACHE_DIR'] = '';
      expect(repscopeCacheDir()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['REPSCOPE_CACHE_DIR'];
      else process.env['REPSCOPE_CACHE_DIR'] = saved;
    }
  });
});
