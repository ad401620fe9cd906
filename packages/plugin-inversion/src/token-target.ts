import { InvalidInputError, isTokenModel, promptTokenIds, tf, type Model, type Tokenizer, type TokenModel } from '@repscope/core';
import type { InversionOptions } from './options';

export interface TokenTarget {
  ids: number[];
  /** The true input e (token + position embedding), [1, n, d]. */
  embedding: tf.Tensor3D;
  /** O_l(e), the output the inversion must reproduce. */
  output: tf.Tensor;
}

/** Token ids of the prompt: the model's tokenizer for `text`, as given for `tokens`. */
export function promptIds(options: InversionOptions, tokenizer: Tokenizer | undefined): number[] {
  return promptTokenIds(options.input, tokenizer);
}

export function requireTokenModel(model: Model): TokenModel {
  if (!isTokenModel(model)) throw new InvalidInputError(`inversion of text needs a model over token embeddings; "${model.kind}" takes ${model.inputSpace}`, 'E_CONFIG_MODEL');
  return model;
}

export function tokenTarget(model: TokenModel, ids: number[]): TokenTarget {
  const embedding = model.embed([ids]);
  const output = tf.tidy(() => model.forward(embedding));
  return { ids, embedding, output };
}

export function disposeTarget(t: TokenTarget): void {
  tf.dispose([t.embedding, t.output]);
}
