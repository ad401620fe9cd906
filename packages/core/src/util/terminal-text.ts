/**
 * Text read from run and sweep folders (names, summary strings, errors) is untrusted: an
 * escape sequence in it would retitle, clear or overwrite the terminal it is printed to.
 * Control characters (C0 and C1, DEL, and the line/paragraph separators) show as ⟨0xNN⟩;
 * newlines and tabs too, since every listing is one line per entry.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `⟨0x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}⟩`);
}
