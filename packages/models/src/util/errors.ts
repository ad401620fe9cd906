/**
 * Errors meant for people: the CLI prints `message` alone (no stack) and exits with
 * `exitCode`. Anything not a UserFacingError is a bug and is printed with its stack.
 */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}

/** Invalid input (config, arguments, files): nothing was run. Exit 2. */
export class InvalidInputError extends UserFacingError {
  constructor(message: string, code = 'E_INVALID_INPUT') {
    super(message, code, 2);
    this.name = 'InvalidInputError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
