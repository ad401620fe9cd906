import * as tf from '@tensorflow/tfjs';
import { definePlugin, Plugin } from '../../plugin/types';
import quadraticPlugin from '../../../test-support/plugins/quadratic-plugin';
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

describe('the conformance kit and the report', () => {
  test('catches a plugin that calls ctx.report.addText with the wrong arguments, naming plugin and method', async () => {
    const wrongReport = definePlugin({
      name: 'wrong-report',
      version: '1.0.0',
      description: 'calls addText(text) without a title',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      example: {},
      async run(ctx) {
        (ctx.report.addText as (text: string) => void)('the text, but no title');
        return { value: 1 };
      },
    });
    const checks = await checkPluginConformance(wrongReport);
    const failed = checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['example config runs to completion (run 1)']);
    expect(failed[0]!.detail).toContain('status failed: plugin "wrong-report": ctx.report.addText(title, text, preformatted?): text must be a string (got undefined)');
  });
});
