import { nearestCosineDecoder, nearestL2Decoder, pinvDecoder, pinvTrainedDecoder } from './builtin-decoders';
import type { DecoderKind } from './types';

/** Every embedding → token decoder this library ships. */
export const BUILTIN_DECODERS: readonly DecoderKind[] = [pinvDecoder, pinvTrainedDecoder, nearestL2Decoder, nearestCosineDecoder];
