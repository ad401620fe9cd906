import type { HeldMatrix } from './split-matrix';
import type { TokenModel } from './types';

/** The built-in token models: W_E as they hold it. */
interface HoldsEmbeddingRows {
  tokenEmbeddingRows(): HeldMatrix;
}

/**
 * W_E as the model holds it — in row blocks on webgpu when it is over the device's binding
 * limit, else the one tensor `tokenEmbeddingMatrix()` returns (always that for a model a plugin
 * defines). For code that reads W_E block by block (the decoders), so it also runs where W_E
 * cannot exist whole and `tokenEmbeddingMatrix()` says so.
 */
export function tokenEmbeddingRows(model: TokenModel): HeldMatrix {
  const m = model as TokenModel & Partial<HoldsEmbeddingRows>;
  return typeof m.tokenEmbeddingRows === 'function' ? m.tokenEmbeddingRows() : model.tokenEmbeddingMatrix();
}
