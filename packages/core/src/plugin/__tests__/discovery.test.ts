import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { createBuiltinRegistries } from '../../registry/builtins';
import { PluginCatalog } from '../catalog';
import { quadraticEntry, tempDir, writeConfig, writePluginPackage } from '../../../test-support/plugin-packages';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');

describe('plugin discovery', () => {
  test('finds the workspace plugins from the repository root', () => {
    const names = PluginCatalog.discover([REPO_ROOT]).list().filter((m) => m.source === 'workspace').map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['feature-viz', 'inversion', 'walks']));
  });

  test('finds plugins in node_modules (scoped and unscoped) without importing them', () => {
    const root = tempDir();
    const marker = path.join(root, 'imported');
    const entry = path.join(root, 'entry.js');
    fs.writeFileSync(entry, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); module.exports = {};`);
    writePluginPackage(path.join(root, 'node_modules', 'repscope-plugin-alpha'), { packageName: 'repscope-plugin-alpha', entry });
    writePluginPackage(path.join(root, 'node_modules', '@lab', 'plugin-beta'), { packageName: '@lab/plugin-beta', entry });
    fs.mkdirSync(path.join(root, 'node_modules', 'left-pad'));
    fs.writeFileSync(path.join(root, 'node_modules', 'left-pad', 'package.json'), '{"name":"left-pad"}');
    const catalog = PluginCatalog.discover([root]);
    expect(catalog.names()).toEqual(['alpha', 'beta']);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('an external plugin named by `plugins:` loads and validates', async () => {
    const dir = tempDir();
    writePluginPackage(path.join(dir, 'my-plugin'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry() });
    const file = writeConfig(dir, 'exp.yaml', 'experiment: quadratic\nplugins: [./my-plugin]\nsteps: 3\n');
    const resolved = await resolveExperiment(loadRawConfig(file), { catalog: PluginCatalog.discover([dir]), baseRegistries: createBuiltinRegistries() });
    expect(resolved.plugin.manifest.source).toBe('path');
    expect(resolved.options['steps']).toBe(3);
  });

  test('a broken plugin is listed with its error and named in config errors', async () => {
    const dir = tempDir();
    const entry = path.join(dir, 'broken.js');
    fs.writeFileSync(entry, "throw new Error('syntax of doom');");
    writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-broken'), { packageName: 'repscope-plugin-broken', entry });
    const shapeless = path.join(dir, 'shapeless.js');
    fs.writeFileSync(shapeless, "module.exports = { name: 'shapeless', version: '1' };");
    writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-shapeless'), { packageName: 'repscope-plugin-shapeless', entry: shapeless });
    const catalog = PluginCatalog.discover([dir]);
    const statuses = await catalog.statuses();
    expect(statuses.map((s) => [s.manifest.name, s.status])).toEqual([
      ['broken', 'error'],
      ['shapeless', 'error'],
    ]);
    expect(statuses[0]!.error).toContain('syntax of doom');
    expect(statuses[1]!.error).toContain('"description" must be a string; "optionsSchema" must be a JSON schema object or a function returning one; "run" must be a function');
    const file = writeConfig(dir, 'exp.yaml', 'experiment: broken\n');
    const err = (await resolveExperiment(loadRawConfig(file), { catalog, baseRegistries: createBuiltinRegistries() }).catch((e: unknown) => e)) as ConfigError;
    expect(err.message).toMatch(/exp\.yaml:1:13 experiment: plugin "broken" \(.*\) failed to load: syntax of doom/);
  });

  test('two packages claiming one name are an error when used, and listed as duplicates', async () => {
    const dir = tempDir();
    writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry() });
    writePluginPackage(path.join(dir, 'node_modules', '@other', 'plugin-quadratic'), { packageName: '@other/plugin-quadratic', entry: quadraticEntry() });
    const catalog = PluginCatalog.discover([dir]);
    expect(() => catalog.find('quadratic')).toThrow(/plugin name "quadratic" is declared by 2 packages/);
    expect((await catalog.statuses()).map((s) => s.status)).toEqual(['duplicate', 'duplicate']);
  });

  test('a manifest for another plugin API version is refused with both versions named', async () => {
    const dir = tempDir();
    writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(), apiVersion: 2 });
    await expect(PluginCatalog.discover([dir]).load('quadratic')).rejects.toThrow('"repscope.apiVersion": 2, but this repscope supports 1');
  });

  test('a plugin object declaring another API version than its manifest is refused at load', async () => {
    const dir = tempDir();
    const entry = path.join(dir, 'entry.js');
    fs.writeFileSync(entry, `module.exports = { ...require(${JSON.stringify(quadraticEntry())}).default, apiVersion: 2 };`);
    writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry });
    await expect(PluginCatalog.discover([dir]).load('quadratic')).rejects.toThrow('"apiVersion" is 2, but this repscope supports 1');
  });

  test('`plugins:` paths that are not plugin packages are config errors', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.mkdirSync(path.join(dir, 'plain'));
    fs.writeFileSync(path.join(dir, 'plain', 'package.json'), '{"name":"plain"}');
    const file = writeConfig(dir, 'exp.yaml', 'experiment: quadratic\nplugins:\n  - ./missing\n  - ./empty\n  - ./plain\n');
    const err = (await resolveExperiment(loadRawConfig(file), { catalog: PluginCatalog.discover([dir]), baseRegistries: createBuiltinRegistries() }).catch((e: unknown) => e)) as ConfigError;
    expect(err.message.split('\n')).toEqual([
      expect.stringMatching(/exp\.yaml:1:13 experiment: no plugin named "quadratic"/),
      expect.stringMatching(/exp\.yaml:3:5 plugins\[0\]: no such folder: .*missing$/),
      expect.stringMatching(/exp\.yaml:4:5 plugins\[1\]: not a plugin package: .*empty has no package\.json$/),
      expect.stringMatching(/exp\.yaml:5:5 plugins\[2\]: not a plugin package: .*package\.json has no "repscope": \{ "plugin": … \} entry$/),
    ]);
  });
});
