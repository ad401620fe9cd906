import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBuiltinRegistries } from '../registry/builtins';
import { LocationMap } from '../config/location';
import { resolveExperiment } from '../config/resolve';
import { PluginCatalog } from '../plugin/catalog';
import type { Plugin } from '../plugin/types';
import { runExperiment, RunOutcome } from '../run/runner';

export interface TestRun {
  outcome: RunOutcome;
  summary: Record<string, unknown>;
  dir: string;
  /** metrics.jsonl, parsed. */
  metrics: Record<string, unknown>[];
  read(name: string): string;
}

/**
 * Run a plugin object on a config given as data (no YAML file, no discovery), in a temp
 * run directory, quietly — what a plugin's own tests need. Throws unless the run completes.
 */
export async function runPluginConfig(plugin: Plugin<Record<string, unknown>>, config: Record<string, unknown>, options: { backend?: string } = {}): Promise<TestRun> {
  const env = { catalog: PluginCatalog.fromPlugins([plugin]), baseRegistries: createBuiltinRegistries() };
  const raw = { file: path.join(os.tmpdir(), `${plugin.name}-test.yaml`), data: { experiment: plugin.name, backend: options.backend ?? 'wasm', ...structuredClone(config) }, locations: new LocationMap() };
  const resolved = await resolveExperiment(raw, env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${plugin.name}-run-`));
  const outcome = await runExperiment(resolved, { outDir: path.join(dir, 'run'), progress: 'silent', log: () => {} });
  if (outcome.status !== 'completed') throw new Error(`run ${outcome.status}: ${outcome.error}`);
  const read = (name: string) => fs.readFileSync(path.join(outcome.dir, name), 'utf8');
  const metrics = read('metrics.jsonl').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { outcome, summary: outcome.summary!, dir: outcome.dir, metrics, read };
}
