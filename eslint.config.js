// Lint: typescript-eslint's recommended rules for every package's sources, and the layer
// order (docs/architecture.md): a module imports only from its own layer or the ones below.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const boundaries = require('eslint-plugin-boundaries');

/** Lowest first; each entry is one layer (folders that sit side by side share one). */
const LAYERS = {
  models: [['util'], ['tokenizer', 'backend'], ['model', 'hub'], ['decode']],
  core: [['util'], ['optimizer', 'metric'], ['registry'], ['plugin'], ['weights'], ['config'], ['report'], ['run'], ['sweep'], ['serve'], ['cli', 'testing']],
};
// The files at the top of each src/ (index.ts, load-model.ts) are the entries: above every layer.

function layerElements() {
  const elements = [];
  const rules = [];
  for (const [pkg, layers] of Object.entries(LAYERS)) {
    const type = (folder) => `${pkg}:${folder}`;
    layers.forEach((layer, i) => {
      for (const folder of layer) {
        elements.push({ type: type(folder), pattern: `packages/${pkg}/src/${folder}/**`, partialMatch: false });
        rules.push({ from: { element: { type: type(folder) } }, allow: layers.slice(0, i + 1).flat().map((t) => ({ to: { element: { type: type(t) } } })) });
      }
    });
  }
  return { elements, rules };
}
const layering = layerElements();

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'runs/**', 'bench/out/**', '**/lint-fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['packages/models/src/**/*.ts', 'packages/core/src/**/*.ts'],
    ignores: ['**/__tests__/**'],
    plugins: { boundaries },
    settings: {
      'boundaries/root-path': __dirname,
      'boundaries/elements': layering.elements,
      'boundaries/include': ['packages/models/src/**/*.ts', 'packages/core/src/**/*.ts'],
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', message: '{{from.type}} may not import {{to.type}}: layers only point down (docs/architecture.md)', policies: layering.rules }],
    },
  },
  {
    // The model library knows nothing of the framework.
    files: ['packages/models/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['@repscope/core', '@repscope/core/*', '**/core/src/**'], message: '@repscope/models sits below the framework: it never imports it' }] }] },
  },
  {
    // Plugins program against core's plugin API alone.
    files: ['packages/plugin-*/src/**/*.ts', 'examples/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@repscope/models', '@repscope/models/*'], message: 'plugins import @repscope/core, which re-exports the model interfaces' },
          { group: ['@repscope/core/*', '!@repscope/core/testing', '**/core/src/**', '**/core/dist/**'], message: "plugins use core's public entry (@repscope/core, or @repscope/core/testing in tests), not its internals" },
        ],
      }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', performance: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
