import type { BackendInfo, FloatImage, Model, ModelCreateOptions, ModelSpec, Rng, Tokenizer } from '@repscope/models';
import type { Optimizer, OptimizerSpec } from '../optimizer/types';
import type { Registries } from '../registry/registries';
import type { Headline } from './headline';
import type { MetricsDescription } from './metrics-description';

/*
 * The run-time contract between core and a plugin: what `Plugin.run` receives. Only
 * interfaces live here; core's classes implement them (RunDirectory, MetricsLogger,
 * ReportBuilder, the run's factories), so their other methods stay core's business.
 */

/** The envelope keys every experiment config shares. */
export interface EnvelopeConfig {
  experiment: string;
  name: string;
  seed: number;
  backend: string;
  plugins: string[];
  model?: ModelSpec;
  description?: string;
}

/** Facts about the input a model kind may need and the config need not repeat. */
export interface ModelHints {
  /** Tokens per input: fills `sequenceLength` for kinds that take it (fcnet) when the block leaves it out. */
  sequenceLength?: number;
}

export interface ModelFactory {
  /**
   * Build a model from a model block (the config's `model:` by default). Disposed when the run
   * ends. `{ trainable: true }` builds it for training (kinds that support it; see
   * `Plugin.model.trainable`).
   */
  create(spec?: ModelSpec, hints?: ModelHints, build?: ModelCreateOptions): Promise<Model>;
}

export interface OptimizerFactory {
  /** Build an optimizer whose learning rate follows `spec.schedule` over `totalSteps`. */
  create(spec: OptimizerSpec, totalSteps: number): Optimizer;
}

export type ArtifactKind = 'image' | 'json' | 'text' | 'html' | 'table' | 'tensors' | 'other';

/**
 * The run folder as a plugin writes to it. Every write is atomic (a crash never leaves a torn
 * file that looks finished) and is recorded in the summary's artifact list. Paths are relative
 * to the run folder; each writer returns the path it recorded (use it in report sections).
 */
export interface ArtifactWriter {
  /** The run folder (absolute), for files a plugin writes itself (then `record` them). */
  readonly path: string;
  writeJson(relative: string, value: unknown, description?: string): string;
  writeText(relative: string, text: string, description?: string): string;
  writeBytes(relative: string, bytes: Uint8Array, kind: ArtifactKind, description?: string): string;
  writePng(relative: string, image: FloatImage, description?: string): string;
  /** Record a file the plugin wrote itself, atomically. */
  record(relative: string, kind: ArtifactKind, description?: string): string;
}

export type MetricValue = number | string | boolean | null;

/** Per-step metrics → metrics.jsonl; loss keys are checked for NaN/Inf (the run stops as diverged). */
export interface MetricsSink {
  /** Which keys are losses, values or bookkeeping, and how to plot them; call before the first `log`. */
  describe(description: MetricsDescription): void;
  /** One line of metrics for `step`; also reports progress and notices Ctrl-C. */
  log(step: number, values: Record<string, MetricValue>): void;
}

export type TableCell = string | number | boolean | null;

/** A vega-lite specification (https://vega.github.io/vega-lite/); checked and rendered to SVG when the report is written. */
export type PlotSpec = Record<string, unknown>;

/** Sections a plugin adds to report.html beyond the config, summary and metric plots. A wrong call throws at the call. */
export interface ReportSections {
  /**
   * The run's answer, shown at the top of report.html before the (then collapsed) summary
   * table: target against result, a verdict, key numbers, images. A later call replaces it, so
   * a long run may set it as it goes and the report shows the latest.
   */
  setHeadline(headline: Headline): void;
  addImage(title: string, path: string, caption?: string, width?: number): void;
  addImages(title: string, items: { path: string; caption?: string }[], width?: number): void;
  addTable(title: string, columns: string[], rows: TableCell[][], caption?: string): void;
  addText(title: string, text: string, preformatted?: boolean): void;
  addPlot(title: string, spec: PlotSpec): void;
}

export interface ProgressReporter {
  start(total: number, label?: string): void;
  /** `done` steps of `total` are finished (metrics.log(s) reports s + 1). */
  update(done: number, values?: { loss?: number }): void;
  stop(): void;
}

/**
 * Everything a plugin's `run` receives. Plugins never see the DI container: this typed
 * surface is the whole contract, so core can change its wiring without breaking plugins.
 */
export interface RunContext<O = Record<string, unknown>> {
  /** The TensorFlow.js instance the run uses (a plugin needs no tfjs dependency of its own). */
  readonly tf: typeof import('@tensorflow/tfjs');
  /**
   * The tokenizer of the config's `model:` (encode, decode, token strings, special tokens);
   * undefined when the experiment has no token model or its vocabulary has no known tokenizer.
   */
  readonly tokenizer: Tokenizer | undefined;
  /** The plugin's own options, validated, defaults applied. */
  readonly options: O;
  /** The whole resolved config (envelope + options), as written to config.yaml. */
  readonly config: EnvelopeConfig & Record<string, unknown>;
  readonly seed: number;
  /** Seeded randomness; fork named streams for independent consumers. */
  readonly rng: Rng;
  readonly registries: Registries;
  readonly models: ModelFactory;
  readonly optimizers: OptimizerFactory;
  readonly metrics: MetricsSink;
  readonly artifacts: ArtifactWriter;
  readonly report: ReportSections;
  readonly progress: ProgressReporter;
  readonly backend: BackendInfo;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
  /**
   * Await once per step: yields to the event loop (so Ctrl-C is noticed at all during
   * synchronous tensor work) and throws RunInterruptedError if the run was interrupted.
   */
  checkInterrupted(): Promise<void>;
  /** A line for the console (stderr), prefixed with the run name. */
  log(line: string): void;
}
