import { tf, type TokenModel } from '@repscope/core';

/** argmax of the logits at the last position, per batch item. */
export function nextTokens(model: TokenModel, input: tf.Tensor): number[] {
  return tf.tidy(() => {
    const logits = model.forward(input, { output: 'logits' });
    const n = logits.shape[1]!;
    return Array.from(tf.argMax(tf.squeeze(tf.slice(logits, [0, n - 1, 0], [-1, 1, -1]), [1]), -1).dataSync());
  });
}

export function canJudge(model: TokenModel): boolean {
  return model.hookPoints().includes('logits');
}
