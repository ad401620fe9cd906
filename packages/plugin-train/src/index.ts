import { definePlugin, type PluginIssue } from '@repscope/core';
import { buildDataset } from './data/dataset';
import { DataError } from './data/text-files';
import { trainSchema, type TrainOptions } from './options';
import { runTraining } from './run-train';

export default definePlugin<TrainOptions>({
  name: 'train',
  version: '0.1.0',
  description: 'train GPT-2-family models on local text, the Brown corpus or a synthetic corpus, optionally over a reduced vocabulary; checkpoints in Hugging Face layout, resumable',
  apiVersion: 1,
  optionsSchema: trainSchema,
  model: { required: true, inputSpaces: ['embeddings'], trainable: true },
  resumable: true,
  example: {
    model: { kind: 'gpt2', config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 16 } },
    data: { synthetic: { sentences: 200 } },
    steps: 2,
    batch: { sequences: 2, tokens: 8 },
    eval: { every: 2, batches: 1, continuation: 2 },
    checkpoints: { every: 2 },
  },
  // Bad data (no file matches, empty, not UTF-8, too short) is a config error before any run.
  check({ options, seed, model, tokenizer }): PluginIssue[] {
    if (!model) return [];
    if (!tokenizer) return [{ path: ['model'], message: "training reads text: the model's vocabulary needs a known tokenizer" }];
    if (model.depth !== model.layers) return [{ path: ['model', 'depth'], message: 'leave it out for training (the whole model is trained)' }];
    if (tokenizer.trained?.unknown !== undefined) return [{ path: ['model', 'weights'], message: 'continuing a reduced-vocabulary checkpoint is not supported yet; train from scratch with vocab: { top: K }' }];
    if (options.vocab && model.vocabSize !== tokenizer.vocabSize) {
      return [{ path: ['vocab'], message: `reduces the tokenizer's ${tokenizer.vocabSize} tokens and sets the model's vocabulary size itself; leave the model's vocabulary size at ${tokenizer.vocabSize} (it is ${model.vocabSize})` }];
    }
    try {
      buildDataset(options, seed, tokenizer);
      return [];
    } catch (err) {
      if (err instanceof DataError) return [{ path: err.configPath, message: err.message }];
      throw err;
    }
  },
  run: runTraining,
});
export { SyntheticCorpus } from './data/synthetic-corpus';
