import { gpt2Kind } from './model/gpt2/kind';
import { vitKind } from './model/vit/kind';
import { fcnetKind, mlpKind } from './model/mlp/kind';
import { hybridKind } from './model/hybrid/kind';
import type { ModelKind } from './model/types';
import type { Registries } from './registries';

export function registerBuiltinModels(r: Registries): void {
  for (const kind of [gpt2Kind, fcnetKind, mlpKind, vitKind, hybridKind] as ModelKind[]) r.models.register(kind.kind, kind);
}
