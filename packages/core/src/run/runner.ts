import 'reflect-metadata';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { BackendChoice, BackendInfo, describeBackend, selectBackend } from '../backend/select-backend';
import type { ResolvedExperiment } from '../config/resolve';
import { ReportBuilder } from '../report/report-builder';
import { renderReportHtml } from '../report/render-html';
import { errorMessage } from '../util/errors';
import { Rng } from '../util/rng';
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer';
import type { RunContext } from './context';
import { environmentInfo } from './env-info';
import { RunModelFactory, RunOptimizerFactory } from './factories';
import { MetricsLogger } from './metrics-logger';
import { createProgress, defaultProgressMode, ProgressMode, ProgressReporter } from './progress';
import { RunDirectory } from './run-directory';
import { RunDivergedError, RunInterruptedError } from './run-errors';
import { Logger, TOKENS } from './tokens';

export type RunStatus = 'completed' | 'diverged' | 'interrupted' | 'failed';

export interface RunOptions {
  /** Run directory; default runs/<experiment>/<name>/<UTC timestamp>/. */
  outDir?: string;
  /** Overrides the config's `backend`. */
  backend?: BackendChoice;
  progress?: ProgressMode;
  signal?: AbortSignal;
  /** Console lines (stderr by default). */
  log?: Logger;
  /** Prefix for console lines (sweep job label). */
  label?: string;
}

export interface RunOutcome {
  status: RunStatus;
  dir: string;
  summary?: Record<string, unknown>;
  error?: string;
  /** Tensors alive after the run that were not before it (should be 0). */
  leakedTensors: number;
}

let announcedBackend: string | undefined;

export function defaultRunDir(config: { experiment: string; name: string }, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '.$1Z');
  return path.resolve('runs', config.experiment, config.name, stamp);
}

/**
 * The composition root of one run: selects the backend, prepares the run directory, builds
 * a child DI container with this run's services, runs the plugin, and writes report.html and
 * (last, atomically) summary.json. status.json tracks the run's state throughout.
 */
export async function runExperiment(exp: ResolvedExperiment, options: RunOptions = {}): Promise<RunOutcome> {
  const log: Logger = options.log ?? ((line) => process.stderr.write(line + '\n'));
  const prefix = options.label ? `[${options.label}]` : `[${exp.config.name}]`;
  const backend = await selectBackend(options.backend ?? (exp.config.backend as BackendChoice));
  const notice = describeBackend(backend);
  if (announcedBackend !== notice) {
    log(notice);
    announcedBackend = notice;
  }

  const dir = new RunDirectory(options.outDir ? path.resolve(options.outDir) : defaultRunDir(exp.config));
  dir.prepare({ keepUnfinished: exp.plugin.plugin.resumable === true });
  const startedAt = new Date();
  const plugin = exp.plugin.plugin;
  const env = { ...environmentInfo(backend, { name: plugin.name, version: plugin.version }), startedAt: startedAt.toISOString() };
  dir.writeConfig(exp.config);
  dir.writeRunJson('env.json', env);
  dir.writeRunJson('status.json', { status: 'running', startedAt: startedAt.toISOString(), pid: process.pid });

  const signal = options.signal ?? new AbortController().signal;
  const progress = createProgress(options.progress ?? defaultProgressMode(), prefix);
  const child = buildContainer(exp, dir, backend, signal, progress, (line) => log(`${prefix} ${line}`));
  const metrics = child.resolve<MetricsLogger>(TOKENS.Metrics);
  const models = child.resolve<RunModelFactory>(TOKENS.Models);
  const optimizers = child.resolve<RunOptimizerFactory>(TOKENS.Optimizers);
  const report = child.resolve<ReportBuilder>(TOKENS.Report);
  const ctx = child.resolve<RunContext>(TOKENS.Context);

  const tensorsBefore = tf.memory().numTensors;
  let status: RunStatus = 'completed';
  let fields: Record<string, unknown> = {};
  let error: string | undefined;
  try {
    fields = (await plugin.run(ctx)) ?? {};
  } catch (err) {
    if (err instanceof RunDivergedError) {
      status = 'diverged';
      fields = { diverged: { step: err.step, key: err.key, value: String(err.value) } };
      error = err.message;
    } else if (err instanceof RunInterruptedError || signal.aborted) {
      status = 'interrupted';
      error = err instanceof RunInterruptedError ? err.message : `interrupted (${errorMessage(err)})`;
    } else {
      status = 'failed';
      error = errorMessage(err);
      if (!(err instanceof Error && 'exitCode' in err)) error += `\n${(err as Error)?.stack ?? ''}`;
    }
  } finally {
    progress.stop();
    metrics.close();
    models.disposeAll();
    optimizers.disposeAll();
  }
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const endedAt = new Date();
  const durationSeconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
  dir.writeRunJson('env.json', { ...env, endedAt: endedAt.toISOString(), durationSeconds, leakedTensors });

  const summary: Record<string, unknown> = {
    status,
    experiment: exp.config.experiment,
    name: exp.config.name,
    seed: exp.config.seed,
    backend: backend.name,
    ...withoutReserved(fields),
    ...(error && status !== 'completed' ? { error: error.split('\n')[0] } : {}),
    durationSeconds,
    artifacts: [{ path: 'report.html', kind: 'html', description: 'config, summary, metric plots and figures' }, ...dir.listArtifacts()],
  };
  try {
    const html = await renderReportHtml({
      title: `${exp.config.experiment} · ${exp.config.name}`,
      status,
      config: exp.config,
      summary,
      series: metrics.allSeries(),
      sections: report.sections,
      env,
    });
    dir.writeRunFile('report.html', html);
  } catch (err) {
    log(`${prefix} could not write report.html: ${errorMessage(err)}`);
  }
  if (status === 'completed' || status === 'diverged') dir.writeRunJson('summary.json', summary);
  dir.writeRunJson('status.json', { status, startedAt: startedAt.toISOString(), endedAt: endedAt.toISOString(), ...(error ? { error } : {}) });
  return { status, dir: dir.path, summary: status === 'completed' || status === 'diverged' ? summary : undefined, error, leakedTensors };
}

/** Keys core owns in summary.json; a plugin's fields cannot overwrite them. */
const RESERVED_SUMMARY_KEYS = new Set(['status', 'experiment', 'name', 'seed', 'backend', 'error', 'durationSeconds', 'artifacts']);

function withoutReserved(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !RESERVED_SUMMARY_KEYS.has(k)));
}

function buildContainer(
  exp: ResolvedExperiment,
  dir: RunDirectory,
  backend: BackendInfo,
  signal: AbortSignal,
  progress: ProgressReporter,
  log: Logger,
): DependencyContainer {
  const child = rootContainer.createChildContainer();
  const rng = new Rng(exp.config.seed);
  child.register(TOKENS.Config, { useValue: exp.config });
  child.register(TOKENS.PluginOptions, { useValue: exp.options });
  child.register(TOKENS.Registries, { useValue: exp.registries });
  child.register(TOKENS.Rng, { useValue: rng });
  child.register(TOKENS.Backend, { useValue: backend });
  child.register(TOKENS.AbortSignal, { useValue: signal });
  child.register(TOKENS.Progress, { useValue: progress });
  child.register(TOKENS.Logger, { useValue: log });
  child.register(TOKENS.RunDirectory, { useValue: dir });
  child.register(TOKENS.Report, { useValue: new ReportBuilder() });
  child.register(TOKENS.Metrics, { useValue: new MetricsLogger(dir.file('metrics.jsonl'), progress, signal) });
  child.register(TOKENS.Models, { useValue: child.resolve(RunModelFactory) });
  child.register(TOKENS.Optimizers, { useValue: child.resolve(RunOptimizerFactory) });
  child.register(TOKENS.Context, {
    useFactory: (c) => {
      const ctx: RunContext = {
        tf,
        tokenizer: gpt2Tokenizer,
        options: c.resolve(TOKENS.PluginOptions),
        config: c.resolve(TOKENS.Config),
        seed: exp.config.seed,
        rng: c.resolve(TOKENS.Rng),
        registries: c.resolve(TOKENS.Registries),
        models: c.resolve(TOKENS.Models),
        optimizers: c.resolve(TOKENS.Optimizers),
        metrics: c.resolve(TOKENS.Metrics),
        artifacts: c.resolve(TOKENS.RunDirectory),
        report: c.resolve(TOKENS.Report),
        progress: c.resolve(TOKENS.Progress),
        backend: c.resolve(TOKENS.Backend),
        signal,
        async checkInterrupted() {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal.aborted) throw new RunInterruptedError(String(signal.reason ?? 'SIGINT'));
        },
        log: c.resolve(TOKENS.Logger),
      };
      return ctx;
    },
  });
  return child;
}
