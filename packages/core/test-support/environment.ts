import { createBuiltinRegistries } from '../src/registry/builtins';
import { PluginCatalog } from '../src/plugin/catalog';
import type { ResolveEnvironment } from '../src/config/resolve';
import quadraticPlugin from './plugins/quadratic-plugin';
import type { Plugin } from '../src/plugin/types';

/** Built-in registries plus the quadratic test plugin, with no disk discovery. */
export function testEnvironment(extra: Plugin<Record<string, unknown>>[] = []): ResolveEnvironment {
  return {
    catalog: PluginCatalog.fromPlugins([quadraticPlugin as unknown as Plugin<Record<string, unknown>>, ...extra]),
    baseRegistries: createBuiltinRegistries(),
  };
}
