import * as fs from 'node:fs';
import * as path from 'node:path';
import { GPT2_TINY, tempDir, useBackend } from '@repscope/test-support';
import { loadModel } from '../../load-model';
import { filesToFetch } from '../../hub/model-files';
import { displayTokens, gpt2Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { InvalidInputError } from '../../util/errors';
import { VOCAB_MAP_FORMAT } from '../checkpoint/vocab-files';
import { isTokenModel, type TokenModel } from '../types';

/** The fixture has 512 rows: 511 GPT-2 tokens and the unknown token. The first five spell "The sky is blue."; <|endoftext|> is sixth. */
const SENTENCE = gpt2Tokenizer.encode('The sky is blue.');
const IDS = [...SENTENCE, 50256];
for (let id = 1000; IDS.length < 511; id++) IDS.push(id);
const COUNTS = [...IDS.map((_, i) => (i < 6 ? 100 - i : 1)), 7];

function mapFolder(content: unknown, raw?: string): string {
  const dir = tempDir('vocab-map-');
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(GPT2_TINY, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'vocab-map.json'), raw ?? JSON.stringify(content));
  return dir;
}

const valid = () => ({ format: VOCAB_MAP_FORMAT, tokenizer: 'gpt2 (r50k_base)', ids: [...IDS], unknown: 511, counts: [...COUNTS] });

async function load(dir: string, kind = 'auto'): Promise<TokenModel> {
  const model = await loadModel({ kind, weights: dir, depth: 1 }, { backend: 'cpu' });
  if (!isTokenModel(model)) throw new Error('not a token model');
  return model;
}

async function loadError(dir: string): Promise<InvalidInputError> {
  try {
    (await load(dir, 'gpt2')).dispose();
  } catch (err) {
    return err as InvalidInputError;
  }
  throw new Error('loaded without error');
}

describe('a checkpoint with vocab-map.json reads text through the reduced vocabulary', () => {
  beforeAll(() => useBackend('cpu'));

  test.each(['auto', 'gpt2'])('kind %s: encode maps to reduced ids (unknown for the rest), decode maps back with ⁇', async (kind) => {
    const model = await load(mapFolder(valid()), kind);
    try {
      const t = model.tokenizer!;
      expect(t.vocabSize).toBe(512);
      expect(t.encode('The sky is blue.')).toEqual([0, 1, 2, 3, 4]);
      expect(t.encode('The sky is green.')).toEqual([0, 1, 2, 511, 4]);
      expect(t.decode([0, 1, 2, 511, 4])).toBe('The sky is⁇.');
      expect(t.decode(t.encode('<|endoftext|>The sky'))).toBe('<|endoftext|>The sky');
      expect(displayTokens([1, 511], t)).toEqual(['␣sky', '⁇']);
      expect(t.specialTokens).toEqual({ '<|endoftext|>': 5 });
      expect(t.documentStart).toBe(5);
      expect(t.trained).toMatchObject({ unknown: 511, source: expect.stringContaining('vocab-map.json') });
      expect(t.trained!.count(0)).toBe(100);
      expect(t.trained!.untrainedPieces('The sky is green.')).toEqual(['␣green']);
    } finally {
      model.dispose();
    }
  });

  test('the Hub client fetches the map (and token-counts.json) when the repo has them', () => {
    expect(filesToFetch(['config.json', 'model.safetensors', 'vocab-map.json'], 'hf:x/y')).toContain('vocab-map.json');
    expect(filesToFetch(['config.json', 'model.safetensors', 'token-counts.json'], 'hf:x/y')).toContain('token-counts.json');
    expect(filesToFetch(['config.json', 'model.safetensors'], 'hf:x/y')).toEqual(['config.json', 'model.safetensors']);
  });

  // Each bad file is one line naming the file, the key and what was expected; an input error (exit 2).
  const cases: [string, () => { content?: unknown; raw?: string }, RegExp][] = [
    ['not JSON', () => ({ raw: '{"ids": [1, 2' }), /vocab-map\.json: not valid JSON/],
    ['an array at the top', () => ({ content: [1, 2] }), /vocab-map\.json: \(top level\): expected a JSON object, got an array of 2/],
    ['a __proto__ key', () => ({ raw: JSON.stringify(valid()).replace('{', '{"__proto__": {"polluted": true},') }), /vocab-map\.json: key "__proto__" is not allowed/],
    ['a constructor key', () => ({ content: { ...valid(), constructor: 1 } }), /vocab-map\.json: key "constructor" is not allowed/],
    ['an unknown key', () => ({ content: { ...valid(), extra: 1 } }), /vocab-map\.json: unknown key "extra"; expected only format, tokenizer, ids, unknown, counts/],
    ['another format', () => ({ content: { ...valid(), format: 'v2' } }), /vocab-map\.json: format: expected "repscope-vocab-map\/1", got "v2"/],
    ['another base tokenizer', () => ({ content: { ...valid(), tokenizer: 'llama' } }), /vocab-map\.json: tokenizer: expected "gpt2 \(r50k_base\)", got "llama"/],
    ['ids not an array', () => ({ content: { ...valid(), ids: 'all' } }), /vocab-map\.json: ids: expected an array of integers, got "all"/],
    ['an id past GPT-2', () => ({ content: { ...valid(), ids: IDS.map((id, i) => (i === 3 ? 50257 : id)) } }), /vocab-map\.json: ids\[3\]: expected an integer in \[0, 50257\), got 50257/],
    ['a negative id', () => ({ content: { ...valid(), ids: IDS.map((id, i) => (i === 2 ? -1 : id)) } }), /vocab-map\.json: ids\[2\]: expected an integer in \[0, 50257\), got -1/],
    ['a fractional id', () => ({ content: { ...valid(), ids: IDS.map((id, i) => (i === 1 ? 1.5 : id)) } }), /vocab-map\.json: ids\[1\]: expected an integer/],
    ['a repeated id', () => ({ content: { ...valid(), ids: IDS.map((id, i) => (i === 9 ? IDS[0] : id)) } }), /vocab-map\.json: ids\[9\]: expected ids that occur once, got 464/],
    ['fewer ids than vocab_size − 1', () => ({ content: { ...valid(), ids: IDS.slice(0, 100), counts: COUNTS.slice(0, 101), unknown: 100 } }), /vocab-map\.json: ids: expected vocab_size − 1 = 511 ids .*, got an array of 100/],
    ['the unknown id elsewhere', () => ({ content: { ...valid(), unknown: 0 } }), /vocab-map\.json: unknown: expected 511 \(the unknown token is the last id\), got 0/],
    ['counts of the wrong length', () => ({ content: { ...valid(), counts: COUNTS.slice(1) } }), /vocab-map\.json: counts: expected 512 entries, got an array of 511/],
    ['a negative count', () => ({ content: { ...valid(), counts: COUNTS.map((c, i) => (i === 4 ? -3 : c)) } }), /vocab-map\.json: counts\[4\]: expected an integer in \[0, ∞\), got -3/],
  ];
  test.each(cases)('%s is refused in one line naming the file and key', async (_label, make, expected) => {
    const bad = make();
    const err = await loadError(mapFolder(bad.content, bad.raw));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(expected);
    expect(err.message).toMatch(/^model\.weights: .*vocab-map\.json/);
    expect(err.message).not.toContain('\n');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('a map larger than any real one is refused before it is read', async () => {
    const err = await loadError(mapFolder(undefined, `{"ids": [${'1,'.repeat(5_000_000)}1]}`));
    expect(err.message).toMatch(/vocab-map\.json: \d+ bytes is more than the 8388608 a vocabulary file may have/);
  });

  test('a map that is a symlink out of the folder is refused', async () => {
    const dir = mapFolder(valid());
    const outside = path.join(tempDir('outside-'), 'map.json');
    fs.writeFileSync(outside, JSON.stringify(valid()));
    fs.rmSync(path.join(dir, 'vocab-map.json'));
    fs.symlinkSync(outside, path.join(dir, 'vocab-map.json'));
    expect((await loadError(dir)).message).toMatch(/vocab-map\.json.*outside the checkpoint folder/);
  });
});
