import { InvalidInputError } from '../util/errors';
import { openWithConfig } from './checkpoint/open-with-config';
import { dimension, MODEL_LIMITS } from './limits';
import { about, ModelCheckError } from './model-check';
import { applyModelOptions } from './model-options';
import type { ModelKind, ModelSpec } from './types';

/** Language-model kinds whose name is the Hugging Face `model_type` they read. */
export const AUTO_MODEL_TYPES = ['gpt2', 'llama', 'qwen2', 'qwen3', 'gemma3_text', 'gpt_neox'] as const;

/** Multimodal or renamed types whose text model one of the kinds above reads, with what to do instead. */
const NEAR_MISSES: Record<string, string> = {
  gemma3: 'a Gemma 3 vision-language checkpoint; its text model is kind gemma3_text (a text-only checkpoint such as gemma-3-270m or gemma-3-1b)',
  qwen2_5_vl: 'a Qwen2.5-VL checkpoint; repscope reads the text-only qwen2 checkpoints',
  mistral: 'a Mistral checkpoint (sliding-window attention on every layer), not supported yet',
};

interface AutoSpec extends ModelSpec {
  weights?: string;
  config?: Record<string, unknown>;
}

/**
 * `kind: auto`: the kind is the checkpoint's config.json `model_type` (or the `config:` block's).
 * Every other key passes to that kind, which checks it against its own schema.
 */
export function autoModelKind(kindFor: (name: string) => ModelKind | undefined): ModelKind<AutoSpec> {
  const target = (spec: AutoSpec): { kind: ModelKind; spec: ModelSpec } => {
    if (!spec.weights && !spec.config) throw new ModelCheckError(['kind'], 'auto reads model_type from a checkpoint: give weights (or config with a model_type)');
    const hf = spec.weights ? openWithConfig(spec.weights, ['weights'], 'auto').config! : spec.config!;
    const key = spec.weights ? ['weights'] : ['config', 'model_type'];
    const type = hf['model_type'];
    if (typeof type !== 'string') throw new ModelCheckError(key, `${spec.weights ? `${spec.weights}: config.json` : 'config'} has no model_type string; name the kind instead of auto (supported: ${AUTO_MODEL_TYPES.join(', ')})`);
    const kind = (AUTO_MODEL_TYPES as readonly string[]).includes(type) ? kindFor(type) : undefined;
    if (!kind) throw new ModelCheckError(key, `model_type ${JSON.stringify(type)} is not supported${NEAR_MISSES[type] ? ` (${NEAR_MISSES[type]})` : ''}; supported: ${AUTO_MODEL_TYPES.join(', ')}`, 'E_MODEL_KIND');
    const { kind: _auto, ...rest } = spec;
    const forwarded = spec.config && !spec.weights ? { ...rest, config: Object.fromEntries(Object.entries(spec.config).filter(([k]) => k !== 'model_type')) } : rest;
    return { kind, spec: about([], () => applyModelOptions(kind, { ...forwarded, kind: type })) };
  };
  return {
    kind: 'auto',
    description: `the checkpoint's own model_type (${AUTO_MODEL_TYPES.join(', ')}); other keys as that kind's`,
    inputSpace: 'embeddings',
    trainable: true,
    optionsSchema: {
      type: 'object',
      properties: {
        weights: { type: 'string', repscopePath: true, description: 'HF checkpoint folder, .safetensors file or hf: reference; its config.json model_type picks the kind' },
        config: { type: 'object', description: 'untrained: config.json keys including model_type' },
        depth: dimension(0, MODEL_LIMITS.layers, { description: 'blocks kept (O_l); default all' }),
        head: { type: 'boolean', default: false, description: 'apply the final norm and the LM head after the kept blocks' },
        finalNorm: { type: 'boolean', description: 'with head: apply the final norm before it (default true)' },
        seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
      },
    },
    resolve(spec) {
      const t = target(spec);
      if (!t.kind.resolve) throw new InvalidInputError(`kind ${t.kind.kind} cannot be checked before building`, 'E_MODEL_KIND');
      return t.kind.resolve(t.spec);
    },
    create(spec, deps, build) {
      const t = target(spec);
      return t.kind.create(t.spec, deps, build);
    },
  };
}
