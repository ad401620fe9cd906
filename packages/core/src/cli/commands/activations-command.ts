import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '@repscope/models';
import { describeBackend, selectBackend } from '@repscope/models';
import { createBuiltinRegistries } from '../../registry/builtins';
import { fetchHubWeights, withLocalWeights } from '../../weights/config-weights';
import { ConfigError } from '../../config/config-error';
import { LocationMap } from '../../config/location';
import { validateModelBlock } from '../../config/validate-model';
import { matchHookPatterns } from '@repscope/models';
import { writeSafetensors } from '@repscope/models';
import { isImageModel, isTokenModel, Model, ModelSpec } from '@repscope/models';
import { modelBlockSchema } from '@repscope/models';
import { InvalidInputError } from '@repscope/models';
import { readImageFile } from '@repscope/models';
import { Rng } from '@repscope/models';

export interface ActivationsOptions {
  model: string;
  weights?: string;
  size?: string;
  seed: string;
  text?: string;
  tokens?: string;
  image?: string;
  hooks?: string;
  out: string;
  backend?: BackendChoice;
}

/** Checked before the model is built (which can take many seconds), so a typo fails at once. */
function checkInputArguments(opts: ActivationsOptions): void {
  const given = [opts.text !== undefined, opts.tokens !== undefined, opts.image !== undefined].filter(Boolean).length;
  if (given !== 1) throw new InvalidInputError('activations: give exactly one of --text, --tokens or --image', 'E_ARGS');
  if (opts.image !== undefined) readImageFile(opts.image);
}

function modelInput(model: Model, opts: ActivationsOptions): { input: tf.Tensor; meta: Record<string, string> } {
  if (isTokenModel(model)) {
    if (opts.image) throw new InvalidInputError(`activations: model ${model.kind} takes tokens; use --text or --tokens`, 'E_ARGS');
    if (opts.text !== undefined && !model.tokenizer) throw new InvalidInputError(`activations: ${model.description} has no tokenizer (no tokenizer.json beside the weights); give --tokens`, 'E_ARGS');
    const ids = opts.tokens !== undefined ? opts.tokens.split(',').map((s) => Number(s.trim())) : model.tokenizer!.encode(opts.text!);
    if (ids.some((id) => !Number.isInteger(id))) throw new InvalidInputError(`--tokens: expected comma-separated integers (got "${opts.tokens}")`, 'E_ARGS');
    return { input: model.embed([ids]), meta: { token_ids: JSON.stringify(ids) } };
  }
  if (isImageModel(model)) {
    if (!opts.image) throw new InvalidInputError(`activations: model ${model.kind} takes an image; use --image`, 'E_ARGS');
    const img = readImageFile(opts.image);
    const input = tf.tidy(() => model.preprocess(tf.tensor4d(img.data, [1, img.height, img.width, 3])));
    return { input, meta: { image: opts.image, pixel_layout: 'NHWC' } };
  }
  throw new InvalidInputError(`activations: model ${model.kind} has an unsupported input space`, 'E_ARGS');
}

/** `repscope activations`: hook-point activations → safetensors (F32, batch first) for other tools. */
export async function activationsCommand(opts: ActivationsOptions): Promise<number> {
  const registries = createBuiltinRegistries();
  const spec: ModelSpec = { kind: opts.model };
  if (opts.weights) spec['weights'] = opts.weights;
  if (opts.size) spec['size'] = opts.size;
  // Every hook point, the LM head's logits included, for kinds that have one.
  const kind = registries.models.tryGet(opts.model);
  if (kind && 'head' in ((modelBlockSchema(kind) as { properties?: object }).properties ?? {})) spec['head'] = true;
  const locations = new LocationMap();
  locations.setValue(['model'], { source: 'command line' });
  const issues = validateModelBlock(spec, ['model'], registries, locations);
  if (issues.length) throw new ConfigError(issues);
  checkInputArguments(opts);
  const seed = Number(opts.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidInputError(`--seed: expected a non-negative integer (got ${opts.seed})`, 'E_ARGS');
  await fetchHubWeights([spec]);
  // The same checks a config gets before its run: the checkpoint's files and headers, depth, memory.
  registries.models.get(spec.kind).resolve?.(withLocalWeights(spec));
  const backend = await selectBackend(opts.backend ?? 'auto');
  process.stderr.write(describeBackend(backend) + '\n');
  const model = await registries.models.get(spec.kind).create(withLocalWeights(spec), { seed, rng: new Rng(seed), log: (l) => process.stderr.write(l + '\n') });
  try {
    const hooks = opts.hooks ? matchHookPatterns(model.hookPoints(), opts.hooks.split(',').map((s) => s.trim())) : model.hookPoints();
    const { input, meta } = modelInput(model, opts);
    const { output, cache } = model.runWithCache(input, hooks);
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    if (isImageModel(model)) tensors['pixel_values'] = { shape: input.shape, data: (await input.data()) as Float32Array };
    for (const name of hooks) tensors[name] = { shape: cache[name]!.shape, data: (await cache[name]!.data()) as Float32Array };
    tf.dispose([input, output, ...Object.values(cache)]);
    writeSafetensors(opts.out, tensors, 'F32', { ...meta, model: model.description });
    process.stdout.write(`wrote ${hooks.length} hook point(s) to ${opts.out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
