import { nearestCosineDecoder, nearestL2Decoder, pinvDecoder } from './builtin-decoders';
import type { DecoderKind } from './types';

/** Every embedding → token decoder this library ships. */
export const BUILTIN_DECODERS: readonly DecoderKind[] = [pinvDecoder, nearestL2Decoder, nearestCosineDecoder];
