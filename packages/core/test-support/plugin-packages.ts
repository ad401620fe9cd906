import * as fs from 'node:fs';
import * as path from 'node:path';

import { tempDir } from '@repscope/test-support';

export { tempDir };

/** Write a plugin package (package.json with a repscope manifest) whose entry is `entry`. */
export function writePluginPackage(dir: string, opts: { packageName: string; entry: string; apiVersion?: number; pluginName?: string }): string {
  fs.mkdirSync(dir, { recursive: true });
  const manifest: Record<string, unknown> = { plugin: opts.entry, apiVersion: opts.apiVersion ?? 1 };
  if (opts.pluginName) manifest['name'] = opts.pluginName;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: opts.packageName, version: '1.0.0', repscope: manifest }, null, 2));
  return dir;
}

/** The quadratic test plugin: TypeScript source under jest, compiled JS for CLI subprocesses. */
export function quadraticEntry(compiled = false): string {
  if (compiled) return testPluginEntry('quadratic-plugin');
  return path.resolve(__dirname, 'plugins', 'quadratic-plugin.ts');
}

export const CLI_BIN = path.resolve(__dirname, '..', 'dist', 'cli', 'bin.js');

export function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A temp project with the quadratic plugin installed in node_modules (compiled JS) and `exp.yaml`. */
export function quadraticProject(config: string): string {
  const dir = tempDir();
  writePluginPackage(path.join(dir, 'node_modules', 'repscope-plugin-quadratic'), { packageName: 'repscope-plugin-quadratic', entry: quadraticEntry(true) });
  writeConfig(dir, 'exp.yaml', config);
  return dir;
}

/** A test plugin's compiled entry (test-support/plugins → test-support/dist at build), for CLI subprocesses. */
export function testPluginEntry(name: 'quadratic-plugin' | 'saturating-plugin' | 'model-probe-plugin'): string {
  return path.resolve(__dirname, 'dist', `${name}.js`);
}
