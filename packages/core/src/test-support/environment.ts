import { createBuiltinRegistries } from '../builtins';
import { PluginCatalog } from '../plugin/catalog';
import type { ResolveEnvironment } from '../config/resolve';
import quadraticPlugin from './quadratic-plugin';
import type { Plugin } from '../plugin/types';

/** Built-in registries plus the quadratic test plugin, with no disk discovery. */
export function testEnvironment(extra: Plugin<Record<string, unknown>>[] = []): ResolveEnvironment {
  return {
    catalog: PluginCatalog.fromPlugins([quadraticPlugin as unknown as Plugin<Record<string, unknown>>, ...extra]),
    baseRegistries: createBuiltinRegistries(),
  };
}
