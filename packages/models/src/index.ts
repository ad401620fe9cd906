// Public API of @repscope/models: the model library on its own — model kinds with hook
// points, Hugging Face checkpoints and Hub cache, tokenizers, decoders, backends. It knows
// nothing of configs, runs or plugins (@repscope/core builds on it). No side effects here.

// Loading a model without the framework
export { loadModel, writeActivations } from './load-model';
export type { LoadModelOptions } from './load-model';

// The model interface and kinds
export type { Model, TokenModel, ImageModel, TrainableTokenModel, InputSpace, ModelKind, ModelShape, ModelSpec, ModelBuildDeps, ModelCreateOptions, ForwardOptions, HookFn, NextPositionStates } from './model/types';
export { isTokenModel, isImageModel, isCausal, isTrainableTokenModel } from './model/types';
export { BUILTIN_MODEL_KINDS, builtinModelKind } from './model/builtin-kinds';
export { applyModelOptions, findModelKind, modelBlockSchema } from './model/model-options';
export { addModelKeywords } from './model/model-keywords';
export { ModelCheckError } from './model/model-check';
export { MODEL_LIMITS, checkParameterMemory } from './model/limits';
export { matchHookPatterns } from './model/hooks';
export { isTrainable } from './model/trainable';
export { perHeadAttentionEnabled } from './model/per-head-attention';
export { gpt2Kind, buildGpt2 } from './model/gpt2/kind';
export type { Gpt2Spec } from './model/gpt2/kind';
export { Gpt2Model } from './model/gpt2/gpt2-model';
export { GPT2_SIZES, gpt2ConfigFromHf, hfGpt2Config } from './model/gpt2/config';
export type { Gpt2Config } from './model/gpt2/config';
export { vitKind } from './model/vit/kind';
export { hybridKind } from './model/hybrid/kind';
export { fcnetKind, mlpKind } from './model/mlp/kind';

// Checkpoints and safetensors
export { openCheckpoint, CheckpointError } from './model/checkpoint/checkpoint';
export type { Checkpoint } from './model/checkpoint/checkpoint';
export { needCovers, needOfBlock, unionNeed, tensorFilter, describeNeed } from './model/checkpoint/tensor-need';
export type { TensorNeed, TensorFilter } from './model/checkpoint/tensor-need';
export { readSafetensorsHeader, readTensorF32 } from './model/safetensors/read';
export type { SafetensorsHeader, TensorEntry } from './model/safetensors/read';
export { writeSafetensors, encodeSafetensors } from './model/safetensors/write';

// The Hugging Face Hub (Python's cache layout)
export { ensureHubModel, hubModelRecord, isCompleteInCache } from './hub/hub-model';
export type { EnsureOptions, HubModelRecord, HubFileRecord } from './hub/hub-model';
export { HUB_PREFIX, isHubRef, parseHubRef, hubRefProblem } from './hub/hub-ref';
export type { HubRef } from './hub/hub-ref';
export { hubSettings } from './hub/hub-settings';
export type { HubSettings } from './hub/hub-settings';
export { HubError } from './hub/hub-error';
export { CachedRepo } from './hub/hub-cache';
export { fetchHubHeaders } from './hub/hub-headers';
export type { HubHeaders } from './hub/hub-headers';
export { listCachedModels } from './hub/cache-listing';
export type { CachedModel } from './hub/cache-listing';
export { createDownloadReporter, defaultDownloadMode } from './hub/download-progress';
export type { DownloadProgressMode, DownloadReporter } from './hub/download-progress';

// Tokenizers
export { gpt2Tokenizer, displayToken, displayTokens, displayBytes, decodeText } from './tokenizer/gpt2-tokenizer';
export type { Tokenizer, TrainingVocabulary } from './tokenizer/gpt2-tokenizer';
export { mappedTokenizer, UNKNOWN_TOKEN_TEXT } from './tokenizer/mapped-tokenizer';
export type { VocabMap } from './tokenizer/mapped-tokenizer';
export { withTrainingCounts } from './tokenizer/counted-tokenizer';
export { VOCAB_MAP_FILE, VOCAB_MAP_FORMAT, TOKEN_COUNTS_FILE, TOKEN_COUNTS_FORMAT, readVocabMap, readTokenCounts, trainedVocabularyTokenizer } from './model/checkpoint/vocab-files';

// Embedding → token decoders
export type { Decoder, DecoderKind, DecodeResult, TokenCandidate } from './decode/types';
export { BUILTIN_DECODERS } from './decode/builtin-decoder-kinds';

// Backends
export { selectBackend, describeBackend, BACKEND_CHOICES, BackendUnavailableError } from './backend/select-backend';
export { probeGpuAdapter, describeGpuAdapter } from './backend/webgpu';
export type { GpuAdapterInfo } from './backend/webgpu';
export type { BackendInfo, BackendChoice } from './backend/select-backend';

// Helpers the framework shares
export { UserFacingError, InvalidInputError, errorMessage } from './util/errors';
export { writeFileAtomic, writeJsonAtomic, jsonReplacer } from './util/atomic-write';
export { Rng } from './util/rng';
export { Registry, DuplicateRegistrationError } from './util/registry';
export { didYouMean, suggestionSuffix } from './util/suggest';
export { formatBinaryBytes, formatDecimalBytes } from './util/format-bytes';
export type { JsonSchema } from './util/json-schema';
export { encodePng, decodePng } from './util/png';
export type { FloatImage } from './util/png';
export { readImageFile } from './util/image-file';
export { describeFileKind, openRegularFile, readRegularFile, UnsafeFileError } from './util/regular-file';
export { makeFolder } from './util/make-folder';
export { webgpuAdapterForTests } from './backend/webgpu-for-tests';
