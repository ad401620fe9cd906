import { InvalidInputError } from '../util/errors';

/**
 * A model block that cannot be built, with the key (relative to the block, e.g. `['depth']`
 * or `['gpt2', 'weights']`) it is about, so the pre-run check can point at the config line.
 * Its message reads `model.<key>: …` for callers that build a model without a config file.
 */
export class ModelCheckError extends InvalidInputError {
  constructor(
    readonly key: (string | number)[],
    readonly detail: string,
    code = 'E_CONFIG_MODEL',
  ) {
    super(`${['model', ...key].join('.')}: ${detail}`, code);
    this.name = 'ModelCheckError';
  }
}

/** Re-throw any invalid-input error raised while resolving `key` as a ModelCheckError about that key. */
export function about<T>(key: (string | number)[], fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ModelCheckError) throw err;
    if (err instanceof InvalidInputError) throw new ModelCheckError(key, err.message, err.code);
    throw err;
  }
}
