import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// The layer rule of eslint.config.js: these are the mistakes it exists to catch. ESLint loads
// its config by dynamic import, which jest's module sandbox refuses, so it runs in a child.
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const LAYER_RULES = ['boundaries/dependencies', 'no-restricted-imports'];

function eslintChild(script: string, input: unknown, cwd = ROOT): string[] {
  const program = `const { ESLint } = require('eslint'); const eslint = new ESLint({ cwd: process.cwd() }); const input = JSON.parse(process.argv[1]); const keep = ${JSON.stringify(LAYER_RULES)};
    (async () => { ${script} })().then((out) => process.stdout.write(JSON.stringify(out)), (err) => { console.error(err); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', program, JSON.stringify(input)], { cwd, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

async function problems(file: string, code: string, cwd = ROOT): Promise<string[]> {
  return eslintChild(
    "const [r] = await eslint.lintText(input.code, { filePath: input.file }); return r.messages.filter((m) => keep.includes(m.ruleId)).map((m) => m.ruleId + ': ' + m.message);",
    { file: path.join(ROOT, file), code },
    cwd,
  );
}

describe('layers only point down (lint)', () => {
  test('an import up the layer order fails lint, naming both layers', async () => {
    expect(await problems('packages/core/src/util/new-helper.ts', "import { runExperiment } from '../run/runner';\nexport const x = runExperiment;\n")).toEqual([
      'boundaries/dependencies: core:util may not import core:run: layers only point down (docs/architecture.md)',
    ]);
    // `pnpm lint` runs ESLint from each package's folder: the rule holds there too.
    expect(await problems('packages/core/src/util/new-helper.ts', "import { runExperiment } from '../run/runner';\nexport const x = runExperiment;\n", path.join(ROOT, 'packages', 'core'))).toHaveLength(1);
    expect(await problems('packages/core/src/config/new-check.ts', "import { RunDirectory } from '../run/run-directory';\nexport const x = RunDirectory;\n")).toHaveLength(1);
    expect(await problems('packages/models/src/tokenizer/new.ts', "import { gpt2Kind } from '../model/gpt2/kind';\nexport const x = gpt2Kind;\n")).toHaveLength(1);
  });

  test('imports down the order, and within a layer, pass', async () => {
    expect(await problems('packages/core/src/run/new.ts', "import { resolveExperiment } from '../config/resolve';\nimport { RunDirectory } from './run-directory';\nexport const x = [resolveExperiment, RunDirectory];\n")).toEqual([]);
    expect(await problems('packages/core/src/plugin/new.ts', "import { Rng } from '@repscope/models';\nexport const x = Rng;\n")).toEqual([]);
  });

  test('the model library never imports the framework; plugins import core alone', async () => {
    expect(await problems('packages/models/src/model/new.ts', "import { definePlugin } from '@repscope/core';\nexport const x = definePlugin;\n")).toHaveLength(1);
    expect(await problems('packages/plugin-walks/src/new.ts', "import { loadModel } from '@repscope/models';\nexport const x = loadModel;\n")).toHaveLength(1);
    expect(await problems('packages/plugin-walks/src/new.ts', "import { RunDirectory } from '@repscope/core/dist/run/run-directory';\nexport const x = RunDirectory;\n")).toHaveLength(1);
    expect(await problems('packages/plugin-walks/src/__tests__/new.test.ts', "import { runPluginConfig } from '@repscope/core/testing';\nexport const x = runPluginConfig;\n")).toEqual([]);
  });

  test('the source tree has no import against the layer order', async () => {
    const found = eslintChild(
      "const results = await eslint.lintFiles(input); return results.flatMap((r) => r.messages.filter((m) => keep.includes(m.ruleId)).map((m) => r.filePath + ':' + m.line + ' ' + m.message));",
      ['packages/core/src', 'packages/models/src', 'packages/plugin-inversion/src', 'packages/plugin-walks/src', 'packages/plugin-feature-viz/src', 'packages/plugin-train/src'],
    );
    expect(found).toEqual([]);
  });
});
