import type { TrainableTokenModel } from '@repscope/core';
import { tf } from '@repscope/core';
import { headCrossEntropy, headCrossEntropyValue } from './cross-entropy';

/** The state the LM head reads, [b, n, d]: the model's own forward, stopped before the head. */
function headInput(model: TrainableTokenModel, inputs: number[][]): tf.Tensor {
  return model.forward(model.embed(inputs), { output: model.headInputHook });
}

/** Mean next-token cross-entropy of a batch, differentiable in every parameter (training). */
export function modelLoss(model: TrainableTokenModel, inputs: number[][], targets: tf.Tensor1D): tf.Scalar {
  return headCrossEntropy(headInput(model, inputs), model.headMatrix(), targets);
}

/** The same loss with no gradient work (held-out evaluation). */
export function modelLossValue(model: TrainableTokenModel, inputs: number[][], targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => headCrossEntropyValue(headInput(model, inputs), model.headMatrix(), targets));
}
