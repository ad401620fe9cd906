import { PluginManifest } from './manifest';
import { PLUGIN_API_VERSION, Plugin } from './types';

// A real dynamic import that TypeScript's CommonJS output leaves alone, for ESM-only plugins.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;

async function importModule(entry: string): Promise<Record<string, unknown>> {
  try {
    return require(entry) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') {
      return importEsm(require('node:url').pathToFileURL(entry).href);
    }
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(entry)) {
      throw new Error(`entry ${entry} does not exist (was the plugin built?)`);
    }
    throw err;
  }
}

/** Import a plugin's entry and check that its default export is a plugin object. */
export async function loadPluginModule(manifest: PluginManifest): Promise<Plugin<Record<string, unknown>>> {
  if (manifest.apiVersion !== PLUGIN_API_VERSION) {
    throw new Error(
      `package.json declares "repscope.apiVersion": ${JSON.stringify(manifest.apiVersion)}, but this repscope supports ${PLUGIN_API_VERSION}`,
    );
  }
  const mod = await importModule(manifest.entry);
  const candidate = (mod['default'] ?? mod) as Partial<Plugin<Record<string, unknown>>>;
  const problems: string[] = [];
  if (!candidate || typeof candidate !== 'object') problems.push('the default export is not an object');
  else {
    if (typeof candidate.name !== 'string' || !candidate.name) problems.push('"name" must be a non-empty string');
    else if (candidate.name !== manifest.name)
      problems.push(`"name" is "${candidate.name}" but package.json says "${manifest.name}" (set "repscope.name" or rename)`);
    if (typeof candidate.version !== 'string') problems.push('"version" must be a string');
    if (typeof candidate.description !== 'string') problems.push('"description" must be a string');
    if (!candidate.optionsSchema || !['object', 'function'].includes(typeof candidate.optionsSchema))
      problems.push('"optionsSchema" must be a JSON schema object or a function returning one');
    if (typeof candidate.run !== 'function') problems.push('"run" must be a function');
    if (candidate.apiVersion !== undefined && candidate.apiVersion !== PLUGIN_API_VERSION)
      problems.push(`"apiVersion" is ${JSON.stringify(candidate.apiVersion)}, but this repscope supports ${PLUGIN_API_VERSION}`);
    if (candidate.register !== undefined && typeof candidate.register !== 'function') problems.push('"register" must be a function');
  }
  if (problems.length) throw new Error(`not a valid plugin object: ${problems.join('; ')}`);
  return candidate as Plugin<Record<string, unknown>>;
}
