import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createBuiltinRegistries } from '../registry/builtins';
import { ConfigError } from '../config/config-error';
import { ENVELOPE_KEYS } from '../config/envelope';
import { LocationMap } from '../config/location';
import { resolveExperiment } from '../config/resolve';
import { compileSchema } from '../config/validate';
import { PluginCatalog } from '../plugin/catalog';
import { pluginSchema, Plugin, PluginIssue } from '../plugin/types';
import { gpt2Tokenizer } from '@repscope/models';
import type { Registries } from '../registry/registries';
import { runExperiment } from '../run/runner';
import { BackendChoice, selectBackend } from '@repscope/models';
import { errorMessage } from '@repscope/models';

export interface ConformanceOptions {
  /** Config to run (without `experiment:`); default: the plugin's `example`. */
  config?: Record<string, unknown>;
  /** Backend for the example run; default cpu (available everywhere). */
  backend?: BackendChoice;
  /** Registries to resolve against; default: the built-ins. */
  registries?: Registries;
  /** Keys that may differ between two runs of the same config (e.g. timings). */
  nondeterministicKeys?: string[];
}

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

const TIMING_KEYS = ['durationSeconds', 'msPerStep', 'secondsPerSentence', 'timeSeconds'];

function numbersOf(summary: Record<string, unknown>, skip: Set<string>): unknown {
  return JSON.parse(JSON.stringify(summary, (k, v) => (skip.has(k) || k === 'artifacts' ? undefined : v)));
}

/**
 * The checks every plugin should pass (ESLint RuleTester style): the object is well formed,
 * its schema compiles and is closed to unknown keys, defaults validate, the example config
 * runs to completion with its report.html written, leaks no tensors, and gives identical
 * numbers when run twice.
 */
export async function checkPluginConformance(plugin: Plugin<Record<string, unknown>>, options: ConformanceOptions = {}): Promise<ConformanceCheck[]> {
  const checks: ConformanceCheck[] = [];
  const check = async (name: string, fn: () => unknown | Promise<unknown>): Promise<boolean> => {
    try {
      const detail = await fn();
      checks.push({ name, ok: true, detail: typeof detail === 'string' ? detail : undefined });
      return true;
    } catch (err) {
      checks.push({ name, ok: false, detail: errorMessage(err) });
      return false;
    }
  };
  const registries = options.registries ?? createBuiltinRegistries();

  await check('plugin object has name, version, description, optionsSchema and run', () => {
    for (const key of ['name', 'version', 'description'] as const) if (typeof plugin[key] !== 'string' || !plugin[key]) throw new Error(`"${key}" must be a non-empty string`);
    if (typeof plugin.run !== 'function') throw new Error('"run" must be a function');
    if (!/^[a-z][a-z0-9-]*$/.test(plugin.name)) throw new Error(`name "${plugin.name}" should be lower-case kebab-case (it is typed in configs)`);
  });
  let schema: Record<string, unknown> | undefined;
  await check('options schema compiles', () => {
    const r = createBuiltinRegistries();
    plugin.register?.(r);
    schema = pluginSchema(plugin, r);
    compileSchema(schema);
  });
  await check('options schema rejects unknown top-level keys', () => {
    if (schema?.['additionalProperties'] !== false) throw new Error('set additionalProperties: false so typos in configs are reported');
  });
  await check('defaults validate', () => {
    if (!schema) throw new Error('no schema');
    const validate = compileSchema(schema);
    const data = structuredClone(options.config ?? plugin.example ?? {});
    for (const k of ENVELOPE_KEYS) delete (data as Record<string, unknown>)[k];
    if (!validate.call({ locations: new LocationMap(), prefix: [] }, data)) throw new Error(JSON.stringify(validate.errors));
  });

  const config = options.config ?? plugin.example;
  if (!config) {
    checks.push({ name: 'example config runs', ok: false, detail: 'the plugin has no `example` config and none was given' });
    return checks;
  }
  const catalog = PluginCatalog.fromPlugins([plugin]);
  const env = { catalog, baseRegistries: registries };
  const raw = () => ({ file: path.join(os.tmpdir(), `${plugin.name}-conformance.yaml`), data: { experiment: plugin.name, backend: options.backend ?? 'cpu', ...structuredClone(config) }, locations: new LocationMap() });
  const summaries: Record<string, unknown>[] = [];
  const dirs: string[] = [];
  try {
    await check('example config validates', async () => {
      try {
        await resolveExperiment(raw(), env);
      } catch (err) {
        throw new Error(err instanceof ConfigError ? err.message : errorMessage(err));
      }
    });
    if (plugin.check) {
      await check('check() tolerates models of unknown shape and returns located issues', async () => {
        const resolved = await resolveExperiment(raw(), env);
        // Kinds registered without `resolve` have no shape before the run: check must cope.
        const found: unknown = plugin.check!({ options: resolved.options, model: undefined, modelAt: () => undefined, tokenizer: gpt2Tokenizer, seed: 0 });
        if (!Array.isArray(found)) throw new Error('check() must return an array of { path, message }');
        for (const issue of found as PluginIssue[]) {
          if (!Array.isArray(issue?.path) || typeof issue.message !== 'string') throw new Error(`check() returned ${JSON.stringify(issue)}; each issue needs path (a list of keys) and message`);
        }
      });
    }
    for (const attempt of [1, 2]) {
      const ok = await check(`example config runs to completion (run ${attempt})`, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${plugin.name}-conformance-`));
        dirs.push(dir);
        await selectBackend(options.backend ?? 'cpu');
        const before = tf.memory().numTensors;
        const outcome = await runExperiment(await resolveExperiment(raw(), env), { outDir: path.join(dir, 'run'), progress: 'silent', log: () => {} });
        if (outcome.status !== 'completed') throw new Error(`status ${outcome.status}: ${outcome.error}`);
        if (!fs.existsSync(path.join(outcome.dir, 'summary.json'))) throw new Error('no summary.json');
        if (!fs.existsSync(path.join(outcome.dir, 'report.html'))) throw new Error('no report.html (see the run\'s log for why it was not written)');
        const leaked = tf.memory().numTensors - before;
        if (leaked !== 0) throw new Error(`${leaked} tensor(s) leaked (dispose them or use tf.tidy)`);
        summaries.push(outcome.summary!);
      });
      if (!ok) break;
    }
    if (summaries.length === 2) {
      await check('same config and seed give the same summary numbers', () => {
        const skip = new Set([...TIMING_KEYS, ...(options.nondeterministicKeys ?? [])]);
        const a = JSON.stringify(numbersOf(summaries[0]!, skip));
        const b = JSON.stringify(numbersOf(summaries[1]!, skip));
        if (a !== b) throw new Error(`summaries differ:\n${a}\n${b}`);
      });
    }
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
  return checks;
}

/** Throws one error listing every failed check (for any test runner). */
export async function assertPluginConformance(plugin: Plugin<Record<string, unknown>>, options?: ConformanceOptions): Promise<void> {
  const checks = await checkPluginConformance(plugin, options);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) throw new Error(`plugin "${plugin.name}" fails conformance:\n${failed.map((c) => `  ✗ ${c.name}: ${c.detail}`).join('\n')}`);
}
