import { nearestCosineDecoder, nearestL2Decoder, pinvDecoder } from './decode/builtin-decoders';
import type { Registries } from './registries';

export function registerBuiltinDecoders(r: Registries): void {
  for (const d of [pinvDecoder, nearestL2Decoder, nearestCosineDecoder]) r.decoders.register(d.name, d);
}
