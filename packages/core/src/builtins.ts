import { PluginCatalog } from './plugin/catalog';
import { createEmptyRegistries, Registries } from './registries';
import { registerBuiltinMetrics } from './register-builtin-metrics';
import { registerBuiltinOptimizers } from './register-builtin-optimizers';
import { registerBuiltinModels } from './register-builtin-models';
import { registerBuiltinDecoders } from './register-builtin-decoders';
import type { ResolveEnvironment } from './config/resolve';

/** Registries holding every built-in model kind, optimizer, schedule, metric and decoder. */
export function createBuiltinRegistries(): Registries {
  const r = createEmptyRegistries();
  registerBuiltinOptimizers(r);
  registerBuiltinMetrics(r);
  registerBuiltinModels(r);
  registerBuiltinDecoders(r);
  return r;
}

/** What the CLI resolves configs against: discovered plugins and the built-in registries. */
export function createDefaultEnvironment(roots = PluginCatalog.defaultRoots()): ResolveEnvironment {
  return { catalog: PluginCatalog.discover(roots), baseRegistries: createBuiltinRegistries() };
}
