import { ConfigError } from '../src/config/config-error';

/** The ConfigError a call throws, as its one-line-per-issue message (fails the test if it throws nothing else). */
export function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
  throw new Error('expected a ConfigError');
}
