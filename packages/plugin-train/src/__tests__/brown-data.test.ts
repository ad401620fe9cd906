import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gpt2Tokenizer } from '@repscope/core/testing';
import { buildDataset } from '../data/dataset';
import { brownDocuments, brownDocumentText, brownFiles, brownTokens } from '../data/brown-corpus';
import { keptTokens, reduceVocabulary, tokenCounts } from '../data/reduced-vocab';
import { DataError } from '../data/text-files';
import type { TrainOptions } from '../options';

const options = (data: Record<string, unknown>, extra: Record<string, unknown> = {}): TrainOptions =>
  ({
    data: { heldOut: 0.1, ...data },
    steps: 1,
    batch: { sequences: 2, tokens: 32, accumulate: 1 },
    eval: { every: 1, batches: 1, prompt: 'The', continuation: 1 },
    ...extra,
  }) as unknown as TrainOptions;

describe('the Brown corpus as training text', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'brown-cache-'));
  beforeAll(() => (process.env['REPSCOPE_CACHE'] = cache));
  afterAll(() => delete process.env['REPSCOPE_CACHE']);

  test('the package holds the 500 texts, in genre order', () => {
    const files = brownFiles().map((f) => path.basename(f));
    expect(files).toHaveLength(500);
    expect([files[0], files[499]]).toEqual(['ca01', 'cr09']);
  });

  test('tagged sentences become running English: tags dropped, punctuation against its words, quotes paired', () => {
    const tagged = [
      '',
      '\t``/`` Only/rb a/at handful/nn was/bedz received/vbn ,/, Ivan/np Allen/np Jr./np ./.',
      "He/pps said/vbd ``/`` yes/rb ''/'' ,/, then/rb left/vbd ;/. ;/.",
      'Why/wrb ?/. ?/.',
      '',
      '',
      "\tThe/at '/' pro/jj '/' side/nn (/( 1-1/2/cd miles/nns )/) won/vbd ''/'' ./.",
    ].join('\n');
    expect(brownDocumentText(tagged)).toBe('"Only a handful was received, Ivan Allen Jr. He said "yes," then left; Why?\n\nThe \'pro\' side (1-1/2 miles) won."');
  });

  test('documents read as natural text that GPT-2 tokenises as it does web text', () => {
    const [first] = brownDocuments(1);
    expect(first!.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.')).toBe(true);
    const text = brownDocuments(20).join('\n');
    expect(text).not.toMatch(/ [,.;:?!)]|\( |``|''|\/(at|nn|nns|np|vbd|jj|in)\b/);
    const ids = gpt2Tokenizer.encode(first!.slice(0, 200));
    expect(ids.slice(0, 4).map((id) => gpt2Tokenizer.decode([id]))).toEqual(['The', ' Fulton', ' County', ' Grand']);
  });

  test('its tokens: each document after <|endoftext|>, tokenised once and then read from the token cache', () => {
    const tokens = brownTokens(3, gpt2Tokenizer);
    expect(tokens[0]).toBe(50256);
    expect(Array.from(tokens).filter((t) => t === 50256)).toHaveLength(3);
    const cached = fs.readdirSync(path.join(cache, 'tokens'));
    expect(cached).toHaveLength(1);
    expect(Array.from(brownTokens(3, gpt2Tokenizer))).toEqual(Array.from(tokens));
    expect(fs.readdirSync(path.join(cache, 'tokens'))).toEqual(cached);
  });

  test('data: { corpus: brown, documents: N } splits into training and held-out text', () => {
    const d = buildDataset(options({ corpus: 'brown', documents: 10 }), 0, gpt2Tokenizer);
    expect(d.description).toBe('the Brown corpus, the first 10 of 500 documents');
    const held = d.heldOut.reduce((a, p) => a + p.length, 0);
    expect(d.trainTokens).toBeGreaterThan(20_000);
    expect(held / (held + d.trainTokens)).toBeGreaterThan(0.07);
    expect(held / (held + d.trainTokens)).toBeLessThan(0.13);
    expect(d.unigramEntropy).toBeGreaterThan(5);
    expect(d.vocab).toBeUndefined();
  });

  test('documents without a corpus is a data error naming data.documents', () => {
    expect(() => buildDataset(options({ synthetic: { sentences: 400 }, documents: 3 }), 0, gpt2Tokenizer)).toThrow(DataError);
    try {
      buildDataset(options({ synthetic: { sentences: 400 }, documents: 3 }), 0, gpt2Tokenizer);
    } catch (err) {
      expect((err as DataError).configPath).toEqual(['data', 'documents']);
    }
  });

  test('vocab.top keeps the most frequent training tokens (and <|endoftext|>), everything else one unknown id', () => {
    const counts = tokenCounts([Uint16Array.from([5, 5, 5, 7, 7, 9, 50256])]);
    expect(keptTokens(counts, 2, 50256)).toEqual([5, 7, 50256]);
    expect(keptTokens(counts, 10, 50256)).toEqual([5, 7, 9, 50256]);
    expect(keptTokens(counts, 1, undefined)).toEqual([5]);
    const r = reduceVocabulary([Uint16Array.from([5, 5, 5, 7, 7, 9, 50256])], [Uint16Array.from([9, 5, 11])], 2, gpt2Tokenizer);
    expect(r.vocab.map).toEqual({ ids: [5, 7, 50256], counts: [3, 2, 1, 1] });
    expect(Array.from(r.train[0]!)).toEqual([0, 0, 0, 1, 1, 3, 2]);
    expect(Array.from(r.heldOut[0]!)).toEqual([3, 0, 3]);
    expect(r.vocab.unknownShare).toBeCloseTo(1 / 7, 12);

    const d = buildDataset(options({ corpus: 'brown', documents: 10 }, { vocab: { top: 300 } }), 0, gpt2Tokenizer);
    const ids = d.vocab!.map.ids;
    // <|endoftext|> is kept whether or not it is among the 300 most frequent.
    expect(ids).toContain(50256);
    expect(ids).toHaveLength(ids.slice(0, 300).includes(50256) ? 300 : 301);
    expect(d.vocab!.map.counts).toHaveLength(ids.length + 1);
    for (const part of [...d.train, ...d.heldOut]) for (const t of part) expect(t).toBeLessThanOrEqual(ids.length);
    // The unigram entropy is over the reduced vocabulary, so it is lower than the full one's.
    expect(d.unigramEntropy).toBeLessThan(buildDataset(options({ corpus: 'brown', documents: 10 }), 0, gpt2Tokenizer).unigramEntropy);
    expect(d.vocab!.tokenizer.decode(d.vocab!.tokenizer.encode('The jury said'))).toBe('The jury said');
  });
});
