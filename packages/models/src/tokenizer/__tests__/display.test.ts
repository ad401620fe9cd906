import { decodeText, displayTokens, gpt2Tokenizer } from '../gpt2-tokenizer';

describe('token display', () => {
  test('byte-level tokens that are not printable show as ⟨0xNN⟩', () => {
    const nul = gpt2Tokenizer.encode('\u0000');
    expect(displayTokens(nul, gpt2Tokenizer)).toEqual(['⟨0x00⟩']);
    // the first bytes of a 4-byte emoji are one token that is not a whole character
    const partial = gpt2Tokenizer.encode(' 😀')[0]!;
    expect(displayTokens([partial], gpt2Tokenizer)[0]).toMatch(/^(␣|⟨0x20⟩)?(⟨0x[0-9A-F]{2}⟩)+$/);
    expect(displayTokens(gpt2Tokenizer.encode(' sky\n'), gpt2Tokenizer)).toEqual(['␣sky', '↵']);
  });

  test('whole texts keep valid characters and show stray bytes, never "�"', () => {
    expect(decodeText(gpt2Tokenizer.encode('The sky 😀 is blue.'), gpt2Tokenizer)).toBe('The sky 😀 is blue.');
    const emoji = gpt2Tokenizer.encode('😀');
    const cut = decodeText([...emoji.slice(0, -1), ...gpt2Tokenizer.encode('The')], gpt2Tokenizer);
    expect(cut).not.toContain('\ufffd');
    expect(cut).toMatch(/^(⟨0x[0-9A-F]{2}⟩)+The$/);
  });
});

describe('GPT-2 special tokens in text', () => {
  test('<|endoftext|> in text is the special token 50256, as Hugging Face tokenises it, not an error', () => {
    expect(gpt2Tokenizer.encode('a <|endoftext|> b')).toEqual([64, 220, 50256, 275]);
    expect(gpt2Tokenizer.encode('<|endoftext|>')).toEqual([50256]);
    expect(gpt2Tokenizer.decode(gpt2Tokenizer.encode('x<|endoftext|>y'))).toBe('x<|endoftext|>y');
    expect(gpt2Tokenizer.specialTokens).toEqual({ '<|endoftext|>': 50256 });
  });
});
