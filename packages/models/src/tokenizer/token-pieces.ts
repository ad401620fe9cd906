/**
 * What one token of a tokenizer.json vocabulary stands for, for tables: its text, or its raw
 * bytes when they are not whole UTF-8 characters. Decoding a single id instead loses what
 * matters in a table — SentencePiece decoders drop a leading "▁" space, and a byte-level
 * token holding half a character decodes to "�".
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** GPT-2's byte-level alphabet: the printable character each byte is written as in the vocabulary. */
function byteLevelDecoder(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<string, number>();
  for (const b of printable) map.set(String.fromCharCode(b), b);
  let extra = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) map.set(String.fromCharCode(256 + extra++), b);
  return map;
}

let byteLevel: Map<string, number> | undefined;

function asText(bytes: number[]): string | number[] {
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return bytes;
  }
}

/** Byte-level BPE (GPT-2, Llama 3, Qwen): each vocabulary character is one byte. */
export function byteLevelPiece(token: string): string | number[] {
  byteLevel ??= byteLevelDecoder();
  const bytes: number[] = [];
  for (const ch of token) {
    const b = byteLevel.get(ch);
    if (b === undefined) return token;
    bytes.push(b);
  }
  return asText(bytes);
}

/** SentencePiece-style BPE (Gemma): "▁" is a space, `<0xNN>` a byte-fallback token. */
export function sentencePiece(token: string): string | number[] {
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (byte) return asText([parseInt(byte[1]!, 16)]);
  return token.replace(/\u2581/g, ' ');
}
