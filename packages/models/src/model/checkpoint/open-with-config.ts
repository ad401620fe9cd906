import { about, ModelCheckError } from '../model-check';
import { Checkpoint, openCheckpoint } from './checkpoint';

/** Open `weights` (headers only) and require config.json beside it; errors are about the block key `key`. */
export function openWithConfig(weights: string, key: (string | number)[], architecture: string): Checkpoint {
  const ckpt = about(key, () => openCheckpoint(weights));
  if (!ckpt.config) throw new ModelCheckError(key, `${weights}: no config.json beside the weights; ${architecture}'s architecture cannot be read from tensors alone`, 'E_CHECKPOINT');
  return ckpt;
}
