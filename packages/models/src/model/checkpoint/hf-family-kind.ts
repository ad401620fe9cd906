import * as fs from 'node:fs';
import { gpt2FamilyTokenizer, type Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { filledArray, normalArray } from '../init';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import { ParamSource } from '../param-source';
import type { Model, ModelKind, ModelShape, ModelSpec } from '../types';
import type { Checkpoint } from './checkpoint';
import { leavesOutFinalNorm, matchTensors, requireFetched } from './checkpoint';
import { folderTokenizer } from './folder-tokenizer';
import { trainedVocabularyTokenizer } from './vocab-files';
import { isFinalNorm } from './tensor-need';
import { openWithConfig } from './open-with-config';

/** The model block of a Hugging Face decoder family: a checkpoint or an untrained config.json. */
export interface HfFamilySpec extends ModelSpec {
  weights?: string;
  /** Untrained: the architecture as config.json keys (hidden_size, num_hidden_layers, …). */
  config?: Record<string, unknown>;
  depth?: number;
  head: boolean;
  finalNorm?: boolean;
  seed?: number;
}

/** What the shared steps need to know of a family's parsed config. */
export interface HfFamilyDims {
  hidden: number;
  layers: number;
  vocabSize: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
}

/** How a parameter starts in an untrained model (Hugging Face's initialisation). */
export type ParameterInit = { fill: number } | { std: number };

/** A decoder family (llama, qwen, gemma3_text, gpt_neox): everything the shared plan and build steps do not know. */
export interface HfFamily<C extends HfFamilyDims> {
  kind: string;
  description: string;
  trainable: boolean;
  /** What `config:` should list, and the name of the final norm, for the option descriptions. */
  configKeys: string;
  finalNormName: string;
  configFromHf(hf: Record<string, unknown>, where: string): C;
  /** HF names and shapes of the first `blocks` blocks, the final norm, and the untied head when `head`. */
  parameterShapes(c: C, blocks: number, head: boolean): { name: string; shape: number[] }[];
  /** The untied LM head's tensor name (`lm_head.weight`, `embed_out.weight`). */
  headName: string;
  /** Buffers checkpoints carry beside the weights, recomputed here. */
  buffers: RegExp[];
  init(c: C, name: string): ParameterInit;
  build(params: ParamSource, plan: HfFamilyPlan<C>, spec: HfFamilySpec, common: HfFamilyBuild): Model;
}

export interface HfFamilyPlan<C> {
  config: C;
  depth: number;
  ckpt?: Checkpoint;
  names?: Map<string, string>;
  tokenizer?: Tokenizer;
  shape: ModelShape;
}

/** What every family's model takes besides its config: the block's keys, resolved. */
export interface HfFamilyBuild {
  depth: number;
  head: boolean;
  finalNorm: boolean;
  description: string;
  embeddingId: string;
  tokenizer?: Tokenizer;
  trainable?: boolean;
}

function optionsSchema(family: HfFamily<HfFamilyDims>) {
  return {
    type: 'object',
    properties: {
      weights: { type: 'string', repscopePath: true, description: `HF ${family.kind} checkpoint folder or .safetensors file` },
      config: { type: 'object', description: `untrained: the architecture as config.json keys (${family.configKeys}, …)` },
      depth: dimension(0, MODEL_LIMITS.layers, { description: 'blocks kept (O_l); default all' }),
      head: { type: 'boolean', default: false, description: `apply the final ${family.finalNormName} and the LM head after the kept blocks` },
      finalNorm: { type: 'boolean', default: true, description: `with head: apply the final ${family.finalNormName} before it` },
      seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
    },
  };
}

/** Everything checked before building — config, depth, memory, the checkpoint's tensor names and shapes (headers only), its tokenizer. */
export function planHfFamily<C extends HfFamilyDims>(family: HfFamily<C>, spec: HfFamilySpec): HfFamilyPlan<C> {
  const kind = family.kind;
  if (!spec.weights && !spec.config) throw new ModelCheckError(['kind'], `${kind} needs weights (a checkpoint) or config (an untrained architecture as config.json keys)`);
  if (spec.weights && spec.config) throw new ModelCheckError(['config'], 'give weights or config, not both (a checkpoint brings its own config.json)');
  const ckpt = spec.weights ? openWithConfig(spec.weights, ['weights'], kind) : undefined;
  if (ckpt && ckpt.config!['model_type'] !== undefined && ckpt.config!['model_type'] !== kind) {
    throw new ModelCheckError(['kind'], `${spec.weights} is a ${JSON.stringify(ckpt.config!['model_type'])} checkpoint, not ${kind}`);
  }
  const configKey = spec.weights ? ['weights'] : ['config'];
  const config = about(configKey, () => family.configFromHf(ckpt?.config ?? spec.config!, spec.weights ?? 'model.config'));
  const depth = spec.depth ?? config.layers;
  if (depth > config.layers) throw new ModelCheckError(['depth'], `must be <= ${config.layers} (the model has ${config.layers} blocks; got ${depth})`);
  const memory = about(configKey, () => checkParameterMemory(family.parameterShapes(config, depth, spec.head), `${kind} (${depth} blocks, width ${config.hidden}, vocabulary ${config.vocabSize})`));
  const names = ckpt
    ? about(['weights'], () => {
        // The head is optional to the match: a tied checkpoint may still store a copy; an untied one must have it (below).
        const all = family.parameterShapes(config, config.layers, false).concat({ name: family.headName, shape: [config.vocabSize, config.hidden] }).map((s) => ({ ...s, optional: s.name === family.headName }));
        return matchTensors(ckpt, all, { prefixes: [], ignore: family.buffers, architecture: `${kind} (${config.layers} layers, width ${config.hidden})` });
      })
    : undefined;
  if (names) about(['weights'], () => requireFetched(ckpt!, family.parameterShapes(config, depth, spec.head).filter((s) => spec.head || !isFinalNorm(s.name)).map((s) => names.get(s.name)!).filter(Boolean)));
  if (names && spec.head && !config.tieWordEmbeddings && !names.has(family.headName)) throw new ModelCheckError(['weights'], `${spec.weights}: config.json says the LM head is untied (tie_word_embeddings false), but there is no ${family.headName}`);
  // The checkpoint's tokenizer.json; a model without one over GPT-2's 50257 tokens (a shape
  // trained here on GPT-2-tokenised text, or its untrained start) reads GPT-2's tokenizer.
  // A shape trained here may also name its vocabulary (vocab-map.json, token-counts.json).
  const shipped = (spec.weights ? about(['weights'], () => folderTokenizer(spec.weights!)) : undefined) ?? gpt2FamilyTokenizer(config.vocabSize);
  const tokenizer = spec.weights ? about(['weights'], () => trainedVocabularyTokenizer(spec.weights!, config.vocabSize, shipped)) : shipped;
  return {
    config,
    depth,
    ckpt,
    names,
    tokenizer,
    shape: { kind, inputSpace: 'embeddings', dModel: config.hidden, depth, layers: config.layers, vocabSize: config.vocabSize, tokenizer, maxPositions: config.maxPositions, parameterCount: memory.count, parameterBytes: memory.bytes },
  };
}

/** A registered model kind for a decoder family: the shared plan, parameters from the checkpoint or the family's initialisation, and its build. */
export function hfFamilyKind<C extends HfFamilyDims>(family: HfFamily<C>): ModelKind<HfFamilySpec> {
  const kind = family.kind;
  return {
    kind,
    description: family.description,
    inputSpace: 'embeddings',
    trainable: family.trainable,
    optionsSchema: optionsSchema(family as unknown as HfFamily<HfFamilyDims>),
    resolve: (spec) => planHfFamily(family, spec).shape,
    async create(spec, deps, build) {
      if (build?.trainable && !family.trainable) throw new ModelCheckError(['kind'], `${kind} cannot be built for training yet`);
      const p = planHfFamily(family, spec);
      const seed = spec.seed ?? deps.seed;
      const started = Date.now();
      const params = new ParamSource();
      for (const { name, shape } of family.parameterShapes(p.config, p.depth, spec.head)) {
        if (p.ckpt) {
          const raw = p.names!.get(name)!;
          if (leavesOutFinalNorm(p.ckpt, name, raw, spec.head)) continue;
          params.add(name, shape, () => p.ckpt!.read(raw));
          continue;
        }
        const count = shape.reduce((a, d) => a * d, 1);
        const init = family.init(p.config, name);
        params.add(name, shape, () => ('fill' in init ? filledArray(count, init.fill) : normalArray(count, init.std, `${kind}/${seed}/${name}`)));
      }
      const embeddingId = p.ckpt ? `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` : `${kind}-untrained:${JSON.stringify(p.config)}:${seed}`;
      const head = !spec.head ? 'no LM head' : spec.finalNorm === false ? 'LM head without the final norm' : 'final norm + LM head';
      const model = family.build(params, p, spec, {
        depth: p.depth,
        head: spec.head,
        finalNorm: spec.finalNorm ?? true,
        description: `${kind} ${spec.weights ? `weights ${spec.weights}` : `untrained (seed ${seed})`}, ${p.depth}/${p.config.layers} blocks, ${head}`,
        embeddingId,
        tokenizer: p.tokenizer,
        trainable: build?.trainable,
      });
      deps.log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${p.ckpt ? 'load' : 'initialise'})`);
      return model;
    },
  };
}
