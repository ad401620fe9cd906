import * as tf from '@tensorflow/tfjs';
import { definePlugin, Plugin } from '../../plugin/types';
import quadraticPlugin from '../../test-support/quadratic-plugin';
import { assertPluginConformance, checkPluginConformance } from '../conformance';

describe('the plugin conformance kit', () => {
  test('passes a well-behaved plugin', async () => {
    await assertPluginConformance(quadraticPlugin as unknown as Plugin<Record<string, unknown>>);
  });

  test('catches an open schema, a leak and nondeterminism', async () => {
    let calls = 0;
    const sloppy = definePlugin({
      name: 'sloppy',
      version: '1.0.0',
      description: 'leaks and is not reproducible',
      optionsSchema: { type: 'object', properties: {} },
      example: {},
      async run() {
        tf.ones([2]);
        calls += 1;
        return { value: calls };
      },
    });
    const failed = (await checkPluginConformance(sloppy)).filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual([
      'options schema rejects unknown top-level keys',
      'example config runs to completion (run 1)',
    ]);
  });
});
