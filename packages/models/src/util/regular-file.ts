import * as fs from 'node:fs';

/*
 * Reading files that someone else made (checkpoints, run and sweep folders): only regular
 * files are opened — a FIFO or a device would block or never end — and nothing is read past
 * a size cap, so a sparse 2 GB file or /dev/zero behind a symlink costs nothing.
 */

export class UnsafeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeFileError';
  }
}

/** What a path that is not a regular file is, in words ("a FIFO (named pipe)", "a device", …). */
export function describeFileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Open for reading and refuse anything but a regular file. O_NONBLOCK makes opening a FIFO
 * return at once instead of waiting for a writer; fstat on the open descriptor then decides,
 * so a file swapped between a check and the open cannot slip through.
 */
export function openRegularFile(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UnsafeFileError(`${file}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw new UnsafeFileError(`${file}: is ${describeFileKind(stat)}, expected a regular file`);
  }
  return fd;
}

/** A regular file's bytes, refused (UnsafeFileError) past `maxBytes`; `what` names the kind of file in the message. */
export function readRegularFile(file: string, maxBytes: number, what = 'file'): Buffer {
  const fd = openRegularFile(file);
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) throw new UnsafeFileError(`${file}: ${size} bytes is more than the ${maxBytes} a ${what} may have`);
    const buf = Buffer.alloc(size);
    const read = fs.readSync(fd, buf, 0, size, 0);
    return buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}
