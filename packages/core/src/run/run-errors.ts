import { UserFacingError } from '@repscope/models';
import { RunDivergedError, RunInterruptedError } from '../util/run-signals';

export { RunDivergedError, RunInterruptedError };


/** Why a write to the run folder failed, in words (the errno code stays in the message for searches). */
const STORAGE_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent of it is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'a file is in the way',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
};

/**
 * The run folder could not be written (disk full, read-only, permissions): the run cannot
 * record its results, so it fails with one line naming the path, not a stack trace.
 */
export class RunStorageError extends UserFacingError {
  constructor(
    readonly file: string,
    readonly errno: string,
  ) {
    super(`cannot write ${file}: ${STORAGE_REASONS[errno] ?? 'write failed'} (${errno})`, 'E_RUN_STORAGE', 1);
    this.name = 'RunStorageError';
  }
}

/** Re-throw a filesystem failure on `file` as a RunStorageError; anything else unchanged. */
export function asStorageError(err: unknown, file: string): unknown {
  if (err instanceof RunStorageError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? new RunStorageError(file, code) : err;
}

/** Run `write` and report a filesystem failure on `file` as one line. */
export function writingTo<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw asStorageError(err, file);
  }
}
