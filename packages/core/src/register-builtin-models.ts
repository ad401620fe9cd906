import { gpt2Kind } from './model/gpt2/kind';
import type { ModelKind } from './model/types';
import type { Registries } from './registries';

export function registerBuiltinModels(r: Registries): void {
  for (const kind of [gpt2Kind] as ModelKind[]) r.models.register(kind.kind, kind);
}
