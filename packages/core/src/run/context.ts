import type { BackendInfo } from '../backend/select-backend';
import type { Model, ModelSpec } from '../model/types';
import type { Optimizer, OptimizerSpec } from '../optimizer/types';
import type { Registries } from '../registries';
import type { ReportBuilder } from '../report/report-builder';
import type { Tokenizer } from '../tokenizer/gpt2-tokenizer';
import type { Rng } from '../util/rng';
import type { MetricsLogger } from './metrics-logger';
import type { ProgressReporter } from './progress';
import type { RunDirectory } from './run-directory';

/** The envelope keys every experiment config shares (see CONVENTIONS, Part 1). */
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
  /** Build a model from a model block (the config's `model:` by default). Disposed when the run ends. */
  create(spec?: ModelSpec, hints?: ModelHints): Promise<Model>;
}

export interface OptimizerFactory {
  /** Build an optimizer whose learning rate follows `spec.schedule` over `totalSteps`. */
  create(spec: OptimizerSpec, totalSteps: number): Optimizer;
}

/**
 * Everything a plugin's `run` receives. Plugins never see the DI container: this typed
 * surface is the whole contract, so core can change its wiring without breaking plugins.
 */
export interface RunContext<O = Record<string, unknown>> {
  /** The TensorFlow.js instance the run uses (a plugin needs no tfjs dependency of its own). */
  readonly tf: typeof import('@tensorflow/tfjs');
  /** GPT-2's byte-level BPE tokenizer (r50k_base). */
  readonly tokenizer: Tokenizer;
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
  /** Per-step metrics → metrics.jsonl (loss keys are checked for NaN/Inf). */
  readonly metrics: MetricsLogger;
  /** The run directory and its artifact writers. */
  readonly artifacts: RunDirectory;
  /** Sections for report.html. */
  readonly report: ReportBuilder;
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
