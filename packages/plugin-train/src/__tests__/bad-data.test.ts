import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'bin.js');

/** Every bad-data config is refused by `repscope validate` (and so before any run): exit 2, one line naming the key. */
describe('bad data is a one-line error before training', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-bad-data-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'train-cache-'));
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]));
  fs.writeFileSync(path.join(dir, 'short.txt'), 'Only a few words here.');
  spawnSync('mkfifo', [path.join(dir, 'pipe.txt')]);
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.txt'));
  const cases: [string, string, RegExp][] = [
    ['no file matches', 'data: { files: ["corpus/*.txt"] }', /yaml:3:\d+ data\.files\[0\]: no file matches ".*corpus\/\*\.txt"/],
    ['an empty file', 'data: { files: ["empty.txt"] }', /data\.files: .*empty\.txt is empty/],
    ['a file that is not UTF-8', 'data: { files: ["latin1.txt"] }', /data\.files: .*latin1\.txt is not valid UTF-8 text/],
    ['fewer tokens than a window', 'data: { files: ["short.txt"] }', /data: 1 file has 6 tokens, fewer than two windows of batch\.tokens \+ 1 = 33/],
    ['a FIFO named as data', 'data: { files: ["pipe.txt"] }', /data\.files\[0\]: ".*pipe\.txt" is a FIFO \(named pipe\), not a text file/],
    ['/dev/zero behind a symlink', 'data: { files: ["zero.txt"] }', /data\.files\[0\]: ".*zero\.txt" is a device, not a text file/],
    ['a synthetic corpus too small for the window', 'data: { synthetic: { sentences: 1 } }', /data: synthetic corpus, 1 sentences .* fewer than two windows/],
    ['a corpus that is not built in', 'data: { corpus: gutenberg }', /yaml:3:\d+ data\.corpus: must be one of "brown" \(got "gutenberg"\)/],
    ['documents without a corpus', 'data: { synthetic: { sentences: 300 }, documents: 3 }', /yaml:3:\d+ data\.documents: takes the first documents of data\.corpus; without a corpus, leave it out/],
    ['more documents than the corpus has', 'data: { corpus: brown, documents: 501 }', /data\.documents: must be <= 500 \(got 501\)/],
  ];
  test.each(cases)('%s', (_label, dataLine, expected) => {
    const file = path.join(dir, `${_label.replace(/\W+/g, '-')}.yaml`);
    fs.writeFileSync(file, `experiment: train\nmodel: { kind: gpt2, config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 32 } }\n${dataLine}\nsteps: 2\nbatch: { sequences: 2, tokens: 32 }\n`);
    const r = spawnSync(process.execPath, [CLI, 'validate', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, REPSCOPE_CACHE: cache, FORCE_COLOR: '0' }, timeout: 120_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('invalid config') && l.trim());
    expect(lines.join('\n')).toMatch(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(lines.filter((l) => /data/.test(l))).toHaveLength(1);
  });
});
