import { ConfigError } from '../config-error';
import { LocationMap } from '../location';
import { resolveExperiment } from '../resolve';
import { definePlugin, type Plugin } from '../../plugin/types';
import { testEnvironment } from '../../../test-support/environment';

// A plugin says what its `model:` must be able to do; `validate` refuses a kind that cannot,
// before any run folder exists (plugin-train needs a kind it can build for training).
const trainer = definePlugin({
  name: 'needs-training',
  version: '1.0.0',
  description: 'declares a trainable model',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  model: { required: true, inputSpaces: ['embeddings'], trainable: true },
  async run() {
    return {};
  },
}) as unknown as Plugin<Record<string, unknown>>;

async function resolveWith(model: Record<string, unknown>): Promise<string | undefined> {
  const locations = new LocationMap();
  locations.setValue([], { source: 'test.yaml' });
  try {
    await resolveExperiment({ file: '/tmp/test.yaml', data: { experiment: 'needs-training', backend: 'cpu', model }, locations }, testEnvironment([trainer]));
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

test('a kind that cannot be built for training is refused at model.kind, naming the kinds that can', async () => {
  expect(await resolveWith({ kind: 'mlp', embeddings: { config: { vocabSize: 16, nPositions: 4, nEmbd: 8 } } })).toMatch(
    /model\.kind: experiment "needs-training" trains its model; "mlp" cannot be built for training \(kinds that can: auto, gpt2, llama, qwen2, qwen3\)/,
  );
  expect(await resolveWith({ kind: 'gpt2', config: { vocabSize: 16, nPositions: 4, nEmbd: 8, nLayer: 1, nHead: 2 } })).toBeUndefined();
});
