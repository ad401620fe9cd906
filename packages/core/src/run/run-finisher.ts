import * as os from 'node:os';
import { RunStorageError } from './run-errors';

/**
 * The writes after the plugin has run: the first filesystem failure (a full disk) is kept
 * and the remaining writes are skipped, so the run ends with one line naming the file that
 * could not be written rather than a cascade.
 */
export class RunFinisher {
  storageError: RunStorageError | undefined;

  attempt(write: () => void): boolean {
    if (this.storageError) return false;
    try {
      write();
      return true;
    } catch (err) {
      if (!(err instanceof RunStorageError)) throw err;
      this.storageError = err;
      return false;
    }
  }
}

/** What status.json says when the process exits mid-run; exit codes above 128 name the signal (see interrupt.ts). */
export function killedMessage(code: number): string {
  const signal = Object.entries(os.constants.signals).find(([, n]) => 128 + n === code)?.[0];
  return signal ? `killed by a second ${signal} before the run could stop cleanly` : `the process exited (code ${code}) before the run finished`;
}
