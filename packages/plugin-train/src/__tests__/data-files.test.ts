import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gpt2Tokenizer } from '@repscope/core/testing';
import { heldOutOverlap } from '../data/overlap';
import { fileTokens, matchFiles, tokenizeFile } from '../data/text-files';

const SENTENCES = ['The river bends twice before the mill.', 'Nobody counted the lanterns on the bridge that winter.', 'A quiet dog sleeps under the red cart.', '“Déjà vu,” she said — 3.14 times, maybe 🙂.'];

function corpus(lines: number, seed: number): string {
  const out: string[] = [];
  // Blank lines, trailing spaces, tabs and indentation: the whitespace runs a bad cut would re-tokenise.
  for (let i = 0; i < lines; i++) out.push(`${i % 4 === 0 ? '\t' : i % 6 === 0 ? '    ' : ''}${SENTENCES[(i * 7 + seed) % SENTENCES.length]} Line ${i * 13 + seed}.${i % 3 === 0 ? '  ' : ''}${i % 5 === 0 ? '\n' : ''}`);
  return out.join('\n') + '\n';
}

describe('training text files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-files-'));

  test('a symlink loop under a glob reaches each real file once', () => {
    const root = path.join(dir, 'loop');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sub', 'a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(root, 'b.txt'), 'beta\n');
    fs.symlinkSync(root, path.join(root, 'sub', 'again')); // sub/again → root → sub → again → …
    fs.symlinkSync(path.join(root, 'b.txt'), path.join(root, 'b-link.txt'));
    const files = matchFiles([path.join(root, '**', '*.txt')]);
    expect(files.map((f) => fs.realpathSync(f)).sort()).toEqual([fs.realpathSync(path.join(root, 'b.txt')), fs.realpathSync(path.join(root, 'sub', 'a.txt'))].sort());
  });

  test('tokenising in chunks gives exactly the tokens of the whole text', () => {
    const text = corpus(400, 1);
    const file = path.join(dir, 'chunks.txt');
    fs.writeFileSync(file, text);
    const whole = gpt2Tokenizer.encode(text);
    for (const chunkBytes of [97, 1000, 1 << 20]) expect(Array.from(tokenizeFile(file, ['data', 'files'], gpt2Tokenizer, chunkBytes))).toEqual(whole);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-cache-'));
    process.env['REPSCOPE_CACHE'] = cacheDir;
    try {
      expect(Array.from(fileTokens(file, ['data', 'files'], gpt2Tokenizer))).toEqual(whole);
      expect(Array.from(fileTokens(file, ['data', 'files'], gpt2Tokenizer))).toEqual(whole); // from the cache
    } finally {
      delete process.env['REPSCOPE_CACHE'];
    }
  });

  test('held-out text that also sits in the training text is measured; distinct text is not', () => {
    const a = Uint16Array.from(gpt2Tokenizer.encode(corpus(300, 2)));
    const b = Uint16Array.from(gpt2Tokenizer.encode(corpus(300, 3)));
    const unrelated = Uint16Array.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 50000));
    expect(heldOutOverlap([a], [a.slice(100, 2100)])).toBe(1);
    expect(heldOutOverlap([unrelated], [b.slice(0, 2000)])).toBe(0);
    const half = heldOutOverlap([a], [Uint16Array.from([...a.slice(0, 1024), ...unrelated.slice(0, 1024)])]);
    expect(half).toBeGreaterThan(0.4);
    expect(half).toBeLessThan(0.6);
  });
});
