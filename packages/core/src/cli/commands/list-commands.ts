import * as path from 'node:path';
import { createBuiltinRegistries } from '../../registry/builtins';
import { InvalidInputError } from '@repscope/models';
import { PluginCatalog } from '../../plugin/catalog';
import { textTable } from '../format';

export async function pluginsCommand(paths: string[], opts: { json?: boolean }): Promise<number> {
  const { catalog, problems } = PluginCatalog.discover(PluginCatalog.defaultRoots()).withPaths(paths.map((p) => path.resolve(p)));
  if (problems.length) throw new InvalidInputError(problems.map((p) => `${paths[p.index]}: ${p.message}`).join('\n'), 'E_PLUGIN_PATH');
  const statuses = await catalog.statuses();
  const rows = statuses.map((s) => ({
    name: s.manifest.name,
    version: s.manifest.version,
    package: s.manifest.packageName,
    source: s.manifest.source,
    path: s.manifest.dir,
    status: s.status,
    ...(s.error ? { error: s.error } : {}),
    ...(s.plugin ? { description: s.plugin.description } : {}),
  }));
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write('no plugins found (searched the workspace and node_modules from here and from repscope\'s own folder)\n');
    return 0;
  }
  process.stdout.write(
    textTable(
      ['name', 'version', 'package', 'status', 'path'],
      rows.map((r) => [r.name, r.version, r.package, r.status === 'ok' ? 'ok' : `${r.status}: ${r.error}`, r.path]),
    ) + '\n',
  );
  return 0;
}

export async function modelsCommand(opts: { json?: boolean }): Promise<number> {
  const registries = createBuiltinRegistries();
  const rows = registries.models.names().map((name) => {
    const kind = registries.models.get(name);
    return { kind: name, input: kind.inputSpace, description: kind.description, options: Object.keys((kind.optionsSchema as { properties?: object }).properties ?? {}) };
  });
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(textTable(['kind', 'input', 'description'], rows.map((r) => [r.kind, r.input, r.description])) + '\n');
  return 0;
}
