import { formatBinaryBytes } from '@repscope/models';
import * as fs from 'node:fs';
import { ConfigError } from './config-error';

/** A config is a page of YAML; anything larger is a mistake or an attack, and is refused unread. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function refuse(shown: string, message: string, code: string): never {
  throw new ConfigError([{ location: { source: shown }, path: [], message, code }]);
}

/**
 * Read an untrusted config file as text, refusing before reading anything that could hang
 * (a FIFO), never end (/dev/zero, /dev/urandom), or is not text (NUL bytes, invalid UTF-8).
 * Errors describe the file; they never echo its bytes to the terminal.
 */
export function readConfigText(file: string, shown: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    refuse(shown, `cannot read config: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`, 'E_CONFIG_READ');
  }
  if (!stat.isFile()) refuse(shown, `cannot read config: not a regular file (${kindOf(stat)})`, 'E_CONFIG_NOT_FILE');
  if (stat.size > MAX_CONFIG_BYTES) refuse(shown, `config is ${formatBinaryBytes(stat.size)}; the limit is ${formatBinaryBytes(MAX_CONFIG_BYTES)}`, 'E_CONFIG_TOO_LARGE');

  // Read at most one byte past the cap: the file may have grown since stat.
  const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
  let length = 0;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) refuse(shown, 'cannot read config: not a regular file', 'E_CONFIG_NOT_FILE');
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, null);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    refuse(shown, `cannot read config: ${(err as Error).message}`, 'E_CONFIG_READ');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (length > MAX_CONFIG_BYTES) refuse(shown, `config is larger than the limit of ${formatBinaryBytes(MAX_CONFIG_BYTES)}`, 'E_CONFIG_TOO_LARGE');
  const bytes = buffer.subarray(0, length);
  const nul = bytes.indexOf(0);
  if (nul >= 0) refuse(shown, `not a text file (NUL byte at offset ${nul}); a config is UTF-8 YAML`, 'E_CONFIG_BINARY');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    refuse(shown, `not a text file (invalid UTF-8 at offset ${firstInvalidUtf8(bytes)}); a config is UTF-8 YAML`, 'E_CONFIG_BINARY');
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  // The shortest failing prefix ends at the bad sequence: binary search on prefix validity.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      // stream: a sequence cut off by the prefix is not an error; only a wrong byte is.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  // `lo` is the first byte that cannot continue; the sequence it breaks may have started up to 3 bytes earlier.
  for (let back = 1; back <= 3 && lo - back >= 0; back++) {
    const byte = bytes[lo - back]!;
    if (byte >= 0xc0) return lo - back;
    if (byte < 0x80) break;
  }
  return lo;
}
