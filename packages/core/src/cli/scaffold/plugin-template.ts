/**
 * The files `repscope new-plugin NAME` writes: a complete plugin that runs as it is (mean
 * residual-stream norm after each block), its example config and a test using node's own
 * runner, so a new package needs nothing but @repscope/core.
 */
export function pluginTemplate(name: string, coreVersion: string): Record<string, string> {
  const pkg = {
    name: `repscope-plugin-${name}`,
    version: '0.1.0',
    description: `repscope plugin: ${name}`,
    main: 'index.js',
    files: ['index.js', 'README.md'],
    repscope: { plugin: './index.js', apiVersion: 1 },
    scripts: { test: 'node --test', start: 'repscope run example.yaml' },
    peerDependencies: { '@repscope/core': `^${coreVersion}` },
    engines: { node: '>=20' },
  };
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'index.js': `'use strict';
const { InvalidInputError, promptTokenIds } = require('@repscope/core');

/**
 * ${name}: the mean size of the residual stream after each block of a token model.
 * Replace the science in run(); core gives you the validated options, the model, metrics,
 * the report and the run directory (see docs/authoring-plugins.md).
 * @type {import('@repscope/core').Plugin<{ input: { text?: string, tokens?: number[] } }>}
 */
module.exports = {
  name: '${name}',
  version: '0.1.0',
  description: 'mean residual-stream norm after each block',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['input'],
    properties: {
      input: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: {
          text: { type: 'string', minLength: 1 },
          tokens: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
        },
      },
    },
  },
  model: { required: true, inputSpaces: ['embeddings'] },
  // runs in a second; the conformance kit runs it
  example: {
    model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2 } },
    input: { tokens: [1, 2, 3] },
  },
  async run(ctx) {
    const { tf, options } = ctx;
    const model = await ctx.models.create();
    // text goes through the model's own tokenizer (ctx.tokenizer); a model without one needs token ids
    const ids = promptTokenIds(options.input, ctx.tokenizer);
    const tooLarge = ids.find((id) => id >= model.vocabSize);
    if (tooLarge !== undefined) throw new InvalidInputError(\`input.tokens: \${tooLarge} is not below the model's vocabulary size \${model.vocabSize}\`);
    const hooks = model.hookPoints().filter((h) => h.endsWith('.hook_resid_post'));
    const input = model.embed([ids]); // [batch 1, tokens, width]
    const { output, cache } = model.runWithCache(input, hooks);
    const rows = [];
    try {
      ctx.metrics.describe({ x: { title: 'block', categorical: true } });
      ctx.progress.start(hooks.length, 'blocks');
      for (const [block, hook] of hooks.entries()) {
        await ctx.checkInterrupted();
        const norm = tf.tidy(() => tf.mean(tf.norm(cache[hook], 'euclidean', -1)));
        // Read tensors with \`await t.data()\`, never dataSync(): the webgpu backend has no
        // synchronous read in Node, and an async read lets a GPU run ahead.
        const meanNorm = (await norm.data())[0];
        norm.dispose();
        ctx.metrics.log(block, { meanNorm });
        rows.push([hook, meanNorm]);
      }
    } finally {
      tf.dispose([input, output, ...Object.values(cache)]);
    }
    ctx.report.addTable('Residual stream after each block', ['hook point', 'mean ‖x‖'], rows);
    const last = rows[rows.length - 1];
    // The answer first: report.html opens with it, above the summary table.
    ctx.report.setHeadline({ answer: 'mean ‖x‖ after the last block: ' + last[1].toPrecision(4), facts: rows.map(([hook, norm]) => ({ label: hook, value: norm })) });
    return { blocks: rows.length, finalMeanNorm: last[1] };
  },
};
`,
    'example.yaml': `# pnpm/npx repscope run example.yaml
experiment: ${name}
plugins: [.]          # this folder; not needed once the package is installed
seed: 0
model: { kind: gpt2, size: small, depth: 2 }   # untrained GPT-2 small, first 2 blocks
input: { text: "The sky is blue." }
`,
    'test/plugin.test.js': `'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { assertPluginConformance, runPluginConfig } = require('@repscope/core/testing');
const plugin = require('..');

test('passes the repscope conformance kit', async () => {
  await assertPluginConformance(plugin);
});

test('one positive norm per block', async () => {
  const run = await runPluginConfig(plugin, {
    model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 3, nHead: 2 } },
    input: { tokens: [5, 6, 7] },
  });
  assert.equal(run.summary.blocks, 3);
  assert.equal(run.metrics.length, 3);
  assert.ok(run.metrics.every((m) => m.meanNorm > 0));
});
`,
    'README.md': `# repscope-plugin-${name}

A [repscope](https://www.npmjs.com/package/@repscope/core) experiment plugin.

\`\`\`sh
npm test                         # conformance kit + the plugin's own test
npx repscope run example.yaml    # one run: runs/${name}/…/report.html
\`\`\`
`,
  };
}
