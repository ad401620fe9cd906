import { tf, type TokenModel } from '@repscope/core';

/** argmax of the logits at the last position, per batch item. */
export async function nextTokens(model: TokenModel, input: tf.Tensor): Promise<number[]> {
  const ids = tf.tidy(() => {
    const logits = model.forward(input, { output: 'logits' });
    const n = logits.shape[1]!;
    return tf.argMax(tf.squeeze(tf.slice(logits, [0, n - 1, 0], [-1, 1, -1]), [1]), -1);
  });
  try {
    return Array.from(await ids.data());
  } finally {
    ids.dispose();
  }
}

export function canJudge(model: TokenModel): boolean {
  return model.hookPoints().includes('logits');
}
