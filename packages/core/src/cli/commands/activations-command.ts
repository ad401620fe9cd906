import { InvalidInputError } from '../../util/errors';

export interface ActivationsOptions {
  model: string;
  weights?: string;
  size?: string;
  seed: string;
  text?: string;
  tokens?: string;
  image?: string;
  hooks?: string;
  out: string;
  backend?: string;
}

export async function activationsCommand(_opts: ActivationsOptions): Promise<number> {
  throw new InvalidInputError('activations: no model kinds are registered yet', 'E_NOT_AVAILABLE');
}
