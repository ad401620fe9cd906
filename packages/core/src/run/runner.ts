import 'reflect-metadata';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { BackendChoice, BackendInfo, describeBackend, selectBackend } from '@repscope/models';
import type { ResolvedExperiment } from '../config/resolve';
import { ReportBuilder } from '../report/report-builder';
import { renderReportHtml } from '../report/render-html';
import { containStrayErrors } from '../util/contain-stray-errors';
import { errorMessage, InvalidInputError } from '@repscope/models';
import { Rng } from '@repscope/models';
import type { RunContext } from '../plugin/api';
import { environmentInfo } from './env-info';
import { hubModelRecords } from '../weights/config-weights';
import { prepareJobs } from '../config/prepare';
import { RunModelFactory, RunOptimizerFactory } from './factories';
import { MetricsLogger } from './metrics-logger';
import { createProgress, defaultProgressMode, ProgressMode, ProgressReporter } from './progress';
import { RunDirectory } from './run-directory';
import { RunDivergedError, RunInterruptedError, RunStorageError, writingTo } from './run-errors';
import { frozenLoss } from './frozen-loss';
import { killedMessage, RunFinisher } from './run-finisher';
import { acquireFolderLock } from '../util/folder-lock';
import { Logger, TOKENS } from './tokens';

/** `killed` appears only in status.json: a process that exits at once returns no outcome. */
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
  /** The run failed on invalid input found only while running (e.g. NaN weights in a checkpoint): exit 2, not 1. */
  invalidInput?: boolean;
}

let announcedBackend: string | undefined;

export function defaultRunDir(config: { experiment: string; name: string }, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '.$1Z');
  return path.resolve('runs', config.experiment, config.name, stamp);
}

/**
 * The composition root of one run: selects the backend, locks and prepares the run
 * directory, builds a child DI container with this run's services, runs the plugin, and
 * writes report.html and (last, atomically) summary.json. status.json tracks the run's
 * state throughout and never stays "running" once this process has stopped.
 */
export async function runExperiment(exp: ResolvedExperiment, options: RunOptions = {}): Promise<RunOutcome> {
  const log: Logger = options.log ?? ((line) => process.stderr.write(line + '\n'));
  const prefix = options.label ? `[${options.label}]` : `[${exp.config.name}]`;
  // `run` and `sweep` prepare before they get here; an API caller may not have. A failed
  // download or check throws (exit 2) before the run directory exists.
  if (!exp.checked) await prepareJobs([{ exp }], 'download');
  const backend = await selectBackend(options.backend ?? (exp.config.backend as BackendChoice));
  const dir = new RunDirectory(options.outDir ? path.resolve(options.outDir) : defaultRunDir(exp.config));
  dir.checkUsable();
  dir.create();
  const lock = writingTo(dir.path, () => acquireFolderLock(dir.path, 'run'));
  try {
    // Only once the folder is ours, so a refused run prints its one line and nothing else.
    const notice = describeBackend(backend);
    if (announcedBackend !== notice) {
      log(notice);
      announcedBackend = notice;
    }
    dir.prepare({ keepUnfinished: exp.plugin.plugin.resumable === true });
    return await runInPreparedFolder(exp, dir, backend, options, log, prefix);
  } finally {
    lock.release();
  }
}

async function runInPreparedFolder(exp: ResolvedExperiment, dir: RunDirectory, backend: BackendInfo, options: RunOptions, log: Logger, prefix: string): Promise<RunOutcome> {
  const startedAt = new Date();
  const plugin = exp.plugin.plugin;
  const env = { ...environmentInfo(backend, { name: plugin.name, version: plugin.version }), models: hubModelRecords(exp.config), startedAt: startedAt.toISOString() };
  dir.writeConfig(exp.config);
  dir.writeRunJson('env.json', env);
  dir.writeRunJson('status.json', { status: 'running', startedAt: startedAt.toISOString(), pid: process.pid });
  // process.exit() (a second Ctrl-C, a sweep worker losing its parent) skips the code below.
  const markKilled = (code: number): void => {
    dir.writeFinalStatus({ status: 'killed', startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), error: killedMessage(code) });
  };
  process.on('exit', markKilled);
  try {
    return await runPlugin(exp, dir, backend, options, log, prefix, startedAt, env);
  } finally {
    process.off('exit', markKilled);
  }
}

async function runPlugin(
  exp: ResolvedExperiment,
  dir: RunDirectory,
  backend: BackendInfo,
  options: RunOptions,
  log: Logger,
  prefix: string,
  startedAt: Date,
  env: Record<string, unknown>,
): Promise<RunOutcome> {
  const signal = options.signal ?? new AbortController().signal;
  const progress = createProgress(options.progress ?? defaultProgressMode(), prefix);
  const tensorsBefore = tf.memory().numTensors;
  const decided = await decideOutcome(exp, dir, backend, signal, progress, (line) => log(`${prefix} ${line}`));
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  return writeOutcome(exp, dir, backend, decided, { startedAt, env, leakedTensors, log: (line) => log(`${prefix} ${line}`) });
}

/** What the plugin's run came to, before anything about it is written. */
interface DecidedOutcome {
  status: RunStatus;
  fields: Record<string, unknown>;
  error?: string;
  invalidInput: boolean;
  interruptedBy?: string;
  storageError?: RunStorageError;
  metrics?: MetricsLogger;
  report?: ReportBuilder;
}

/** Run the plugin and classify how it ended; disposes what the run built. Writes nothing but what the plugin itself writes. */
async function decideOutcome(exp: ResolvedExperiment, dir: RunDirectory, backend: BackendInfo, signal: AbortSignal, progress: ProgressReporter, log: Logger): Promise<DecidedOutcome> {
  let fields: Record<string, unknown> = {};
  let metrics: MetricsLogger | undefined;
  let report: ReportBuilder | undefined;
  let child: DependencyContainer | undefined;
  try {
    child = buildContainer(exp, dir, backend, signal, progress, log);
    metrics = child.resolve<MetricsLogger>(TOKENS.Metrics);
    report = child.resolve<ReportBuilder>(TOKENS.Report);
    fields = (await exp.plugin.plugin.run(child.resolve<RunContext>(TOKENS.Context))) ?? {};
    const plot = metrics.allSeries();
    // Only a loss logged against its step, one line, can be read as frozen from step 1.
    const byStep = !plot.groupTitle && plot.x.title === 'step' ? plot.series.get('loss') : undefined;
    const frozen = frozenLoss(byStep?.map((p) => ({ step: Number(p.x), value: p.value })));
    if (frozen) throw frozen;
    return { status: 'completed', fields, invalidInput: false, metrics, report };
  } catch (err) {
    return { ...classifyFailure(err, signal, fields), metrics, report };
  } finally {
    progress.stop();
    metrics?.close();
    child?.resolve<RunModelFactory>(TOKENS.Models).disposeAll();
    child?.resolve<RunOptimizerFactory>(TOKENS.Optimizers).disposeAll();
  }
}

/** One owner per way a run can fail (docs/architecture.md, "A run, end to end"). */
function classifyFailure(err: unknown, signal: AbortSignal, fields: Record<string, unknown>): Omit<DecidedOutcome, 'metrics' | 'report'> {
  if (err instanceof RunDivergedError) {
    return { status: 'diverged', fields: { ...fields, diverged: { step: err.step, key: err.key, value: String(err.value) } }, error: err.message, invalidInput: false };
  }
  if (err instanceof RunInterruptedError || signal.aborted) {
    return {
      status: 'interrupted',
      fields,
      interruptedBy: String(signal.reason ?? (err as RunInterruptedError).signalName ?? 'SIGINT'),
      error: err instanceof RunInterruptedError ? err.message : `interrupted (${errorMessage(err)})`,
      invalidInput: false,
    };
  }
  let error = errorMessage(err);
  if (!(err instanceof Error && 'exitCode' in err)) error += `\n${(err as Error)?.stack ?? ''}`;
  // A full disk stays the reported cause; the writes after it are skipped.
  return { status: 'failed', fields, error, invalidInput: err instanceof InvalidInputError, ...(err instanceof RunStorageError ? { storageError: err } : {}) };
}

/** env.json's end, report.html, summary.json (completed or diverged runs only), then the final status.json. */
async function writeOutcome(
  exp: ResolvedExperiment,
  dir: RunDirectory,
  backend: BackendInfo,
  decided: DecidedOutcome,
  run: { startedAt: Date; env: Record<string, unknown>; leakedTensors: number; log: Logger },
): Promise<RunOutcome> {
  let { status, error } = decided;
  const { fields, invalidInput, interruptedBy, metrics, report } = decided;
  const { startedAt, env, leakedTensors } = run;
  const finished = new RunFinisher();
  finished.storageError = decided.storageError;
  const endedAt = new Date();
  const durationSeconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
  finished.attempt(() => dir.writeRunJson('env.json', { ...env, endedAt: endedAt.toISOString(), durationSeconds, leakedTensors }));

  const reportArtifact = { path: 'report.html', kind: 'html' as const, description: 'config, summary, metric plots and figures' };
  const summary: Record<string, unknown> = {
    status,
    experiment: exp.config.experiment,
    name: exp.config.name,
    seed: exp.config.seed,
    backend: backend.name,
    ...withoutReserved(fields),
    ...(error && status !== 'completed' ? { error: error.split('\n')[0] } : {}),
    durationSeconds,
    // Which fields are results and which bookkeeping, for whoever charts them later (a sweep).
    ...(metrics?.summaryRoles() ? { summaryRoles: metrics.summaryRoles() } : {}),
    artifacts: [reportArtifact, ...dir.listArtifacts()],
  };
  let html: string | undefined;
  try {
    html = await containStrayErrors(() => renderReportHtml({
      title: `${exp.config.experiment} · ${exp.config.name}`,
      status,
      config: exp.config,
      summary,
      series: metrics?.allSeries() ?? { series: new Map(), x: { title: 'step', categorical: false } },
      sections: report?.sections ?? [],
      headline: report?.headline,
      env,
    }));
  } catch (err) {
    // The plugin's numbers are fine but its report is not: the run fails (exit 1) so nobody
    // takes a run without its report for a finished one, and summary.json is not written.
    const reportError = `report.html could not be rendered: ${errorMessage(err)}`;
    run.log(reportError);
    if (status === 'completed' || status === 'diverged') {
      status = 'failed';
      error = reportError;
    }
  }
  if (!(html !== undefined && finished.attempt(() => dir.writeRunFile('report.html', html!)))) {
    summary['artifacts'] = (summary['artifacts'] as { path: string }[]).filter((a) => a !== reportArtifact);
  }
  summary['status'] = status;
  if (error && status !== 'completed') summary['error'] = error.split('\n')[0];
  const writesSummary = status === 'completed' || status === 'diverged';
  const summaryWritten = writesSummary && finished.attempt(() => dir.writeRunJson('summary.json', summary));
  if (finished.storageError) {
    status = 'failed';
    error = finished.storageError.message;
  }
  const final = {
    status,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    ...(interruptedBy ? { signal: interruptedBy } : {}),
    ...(error ? { error } : {}),
    // What the plugin computed survives a run that fails after it (report or disk), here.
    ...(!summaryWritten && Object.keys(fields).length ? { summary: { ...summary, status, error: error?.split('\n')[0] } } : {}),
  };
  const statusError = dir.writeFinalStatus(final);
  if (statusError && !finished.storageError) {
    status = 'failed';
    error = statusError.message;
  }
  return { status, dir: dir.path, summary: summaryWritten ? summary : undefined, error, leakedTensors, ...(invalidInput ? { invalidInput } : {}) };
}

/** Keys core owns in summary.json; a plugin's fields cannot overwrite them. */
const RESERVED_SUMMARY_KEYS = new Set(['status', 'experiment', 'name', 'seed', 'backend', 'error', 'durationSeconds', 'summaryRoles', 'artifacts']);

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
  child.register(TOKENS.Report, { useValue: new ReportBuilder(exp.plugin.plugin.name) });
  child.register(TOKENS.Metrics, { useValue: new MetricsLogger(dir.file('metrics.jsonl'), progress, signal) });
  child.register(TOKENS.Models, { useValue: child.resolve(RunModelFactory) });
  child.register(TOKENS.Optimizers, { useValue: child.resolve(RunOptimizerFactory) });
  child.register(TOKENS.Context, {
    useFactory: (c) => {
      const ctx: RunContext = {
        tf,
        tokenizer: exp.modelShape?.tokenizer,
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
