// @repscope/core's main entry: the plugin API, and nothing else. Everything a plugin needs
// is here — the plugin and run-context interfaces, the model interfaces (re-exported from
// @repscope/models, so a plugin depends on core alone), optimizers, decoders, the shared
// helpers — and every name is documented in docs/authoring-plugins.md. Test helpers are at
// `@repscope/core/testing`. No side effects here.

// Plugins
export { definePlugin, PLUGIN_API_VERSION } from './plugin/types';
export type { Plugin, PluginCheckContext, PluginIssue, PluginModelRequirement, SummaryFields } from './plugin/types';
export type {
  RunContext, EnvelopeConfig, ModelFactory, ModelHints, OptimizerFactory, ArtifactWriter, ArtifactKind, MetricsSink, MetricValue,
  ReportSections, TableCell, PlotSpec, ProgressReporter,
} from './plugin/api';
export type { MetricsDescription, MetricRole, SummaryRole } from './plugin/metrics-description';
export { headlineTokens } from './plugin/headline';
export type { Headline, HeadlineToken, HeadlineTokenRow, HeadlineFact, HeadlineText, TokenMark } from './plugin/headline';
export { checkInputSpace, checkTokenIds, checkPromptVocabulary, promptTokenIds, untrainedPromptWarning } from './plugin/input-checks';
export type { PromptInput } from './plugin/input-checks';
export { decodeSchema } from './plugin/decode-schema';
export type { DecodeOptions } from './plugin/decode-schema';
export type { Registries } from './registry/registries';
export { RunDivergedError, RunInterruptedError } from './util/run-signals';

// Models (the interfaces plugins program against)
export type {
  Model, TokenModel, ImageModel, TrainableTokenModel, InputSpace, ModelKind, ModelShape, ModelSpec, ModelBuildDeps, ModelCreateOptions, ForwardOptions,
  HookFn, NextPositionStates, Tokenizer, Decoder, DecoderKind, DecodeResult, TokenCandidate, BackendInfo, JsonSchema, FloatImage,
  TrainingVocabulary, VocabMap,
} from '@repscope/models';
export { isTokenModel, isImageModel, isCausal, isTrainableTokenModel, ModelCheckError, MODEL_LIMITS, matchHookPatterns } from '@repscope/models';
export { displayToken, displayTokens, displayBytes, decodeText } from '@repscope/models';
export { mappedTokenizer, withTrainingCounts, UNKNOWN_TOKEN_TEXT, VOCAB_MAP_FILE, VOCAB_MAP_FORMAT, readVocabMap, TOKEN_COUNTS_FILE, TOKEN_COUNTS_FORMAT } from '@repscope/models';
export { readSafetensorsHeader, readTensorF32, writeSafetensors, encodeSafetensors } from '@repscope/models';
export { encodePng, decodePng, readImageFile } from '@repscope/models';
export { Rng, Registry, UserFacingError, InvalidInputError, writeFileAtomic, writeJsonAtomic, describeFileKind } from '@repscope/models';
/** The TensorFlow.js instance repscope runs on; plugins should use this one (one engine, one backend). */
export * as tf from '@tensorflow/tfjs';

// Optimisation of an input
export type { Optimizer, OptimizerKind, OptimizerSpec } from './optimizer/types';
export type { ScheduleKind, ScheduleSpec, LearningRateSchedule } from './optimizer/schedule';
export { optimizerSchema } from './optimizer/schema';
export { descentStep, descentStepAsync, inputGradient } from './optimizer/descent-step';
export type { Metric } from './metric/types';
export type { OptionsFromSchema, OptionsSchema } from './plugin/options-type';
