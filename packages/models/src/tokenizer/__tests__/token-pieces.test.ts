import * as path from 'node:path';
import { FIXTURES } from '@repscope/test-support';
import { decodeText, displayTokens } from '../gpt2-tokenizer';
import { checkpointTokenizer } from '../hf-tokenizer';

const tokenizerOf = (family: string) => {
  const dir = path.join(FIXTURES, 'families', family);
  return checkpointTokenizer(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
};

describe('token strings in tables show what each token stands for', () => {
  test.each([
    ['llama', ['The', '␣sky', '␣is', '␣blue', '.']],
    ['qwen3', ['The', '␣sky', '␣is', '␣blue', '.']],
    // SentencePiece: "▁" is the space (decoding one id alone would drop it); <bos> is prepended.
    ['gemma3_text', ['<bos>', 'The', '␣sky', '␣is', '␣blue', '.']],
  ])('%s: byte-level and SentencePiece pieces read as text, with their spaces', (family, cells) => {
    const tokenizer = tokenizerOf(family);
    const ids = tokenizer.encode('The sky is blue.');
    expect(displayTokens(ids, tokenizer)).toEqual(cells);
  });

  test.each(['llama', 'qwen3', 'gemma3_text'])('%s: a character split across tokens shows its bytes, and the whole text still decodes', (family) => {
    const tokenizer = tokenizerOf(family);
    // A rare CJK extension character: no tokenizer here has it whole, so it is split into byte tokens.
    const text = 'a 𪚥 b';
    const ids = tokenizer.encode(text);
    const cells = displayTokens(ids, tokenizer);
    expect(cells.some((c) => /⟨0x[0-9A-F]{2}⟩/.test(c))).toBe(true);
    expect(cells.join('')).not.toContain('�');
    expect(decodeText(ids, tokenizer).replace('<bos>', '')).toBe(text);
  });
});

describe('the token a document starts with (what a prior reads before the recovered prefix)', () => {
  test.each([
    ['llama', 128000, '<|begin_of_text|>'],
    // No BOS: its tokenizer_config's EOS (this chat tokenizer's <|im_end|>; base checkpoints name <|endoftext|>).
    ['qwen3', 151645, '<|im_end|>'],
    ['gemma3_text', 2, '<bos>'],
  ])('%s: %i', (family, id, text) => {
    const tokenizer = tokenizerOf(family);
    expect(tokenizer.documentStart).toBe(id);
    expect(tokenizer.specialTokens![text]).toBe(id);
  });
});
