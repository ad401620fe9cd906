import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as models from '../index';
import { readSafetensorsHeader, selectBackend } from '../index';

/**
 * The README's first ```ts block is the package's front door: it must run. It is run here on
 * the tiny GPT-2 fixture, with only what the fixture needs changed: its weights folder, token
 * ids instead of GPT-2's tokenizer (the fixture's vocabulary is custom), the output file (in a
 * temporary folder) and the final `main()` call (awaited here instead of ending the process).
 */
const PACKAGE = path.resolve(__dirname, '../..');
const README = path.join(PACKAGE, 'README.md');
const GPT2_TINY = path.join(PACKAGE, 'test-data/gpt2-tiny');
const TINY_IDS: number[] = (JSON.parse(fs.readFileSync(path.join(GPT2_TINY, 'expected.json'), 'utf8')) as { token_ids: number[] }).token_ids;

function firstTsBlock(markdown: string): string {
  const m = /```ts\n([\s\S]*?)```/.exec(markdown);
  if (!m) throw new Error('README.md has no ```ts block');
  return m[1]!;
}

/** Replace the one match of `pattern` in `code`; fail if there is not exactly one. */
function replaceOnce(code: string, pattern: RegExp, replacement: string): string {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  const count = [...code.matchAll(global)].length;
  if (count !== 1) throw new Error(`expected one match of ${pattern} in the README example, found ${count}`);
  return code.replace(pattern, replacement);
}

function adaptToFixture(snippet: string, outFile: string): string {
  let code = snippet;
  code = replaceOnce(code, /weights: '[^']*'/, `weights: ${JSON.stringify(GPT2_TINY)}`);
  code = replaceOnce(code, /^(\s*)const ids = .*$/m, `$1const ids = ${JSON.stringify(TINY_IDS)};`);
  code = replaceOnce(code, /'activations\.safetensors'/, JSON.stringify(outFile));
  code = replaceOnce(code, /^main\(\).*$/m, 'return main();');
  return code;
}

describe('README example', () => {
  const snippet = firstTsBlock(fs.readFileSync(README, 'utf8'));
  let dir: string;

  beforeAll(async () => {
    await selectBackend('cpu'); // chosen once per process: the example's loadModel (auto) keeps it
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-example-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is the TransformerLens-style load → runWithCache → writeActivations script', () => {
    expect(snippet).toContain("from '@repscope/models'");
    expect(snippet).toMatch(/loadModel\(/);
    expect(snippet).toMatch(/\.runWithCache\(/);
    expect(snippet).toMatch(/writeActivations\(/);
    expect(snippet).toMatch(/model\.tokenizer/);
    expect(snippet).toMatch(/\.dispose\(\)/);
  });

  it('type-checks against the package source', () => {
    const file = path.join(dir, 'example.ts');
    fs.writeFileSync(file, snippet);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ['lib.es2022.d.ts'],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(PACKAGE, 'node_modules/@types'), path.resolve(PACKAGE, '../../node_modules/@types')],
      baseUrl: PACKAGE,
      paths: { '@repscope/models': [path.join(PACKAGE, 'src/index.ts')] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file || !d.file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);

  it('runs on the tiny GPT-2 checkpoint and writes the hook points it names', async () => {
    const outFile = path.join(dir, 'activations.safetensors');
    const { outputText } = ts.transpileModule(adaptToFixture(snippet, outFile), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const requireShim = (id: string): unknown => (id === '@repscope/models' ? models : require(id));
    const module = { exports: {} as Record<string, unknown> };
    const run = new Function('require', 'module', 'exports', outputText) as (r: typeof requireShim, m: typeof module, e: typeof module.exports) => Promise<void>;
    await run(requireShim, module, module.exports);

    expect(fs.existsSync(outFile)).toBe(true);
    const header = readSafetensorsHeader(outFile);
    const names = [...header.entries.keys()].sort();
    expect(names).toEqual(['blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern']);
    const tokens = TINY_IDS.length;
    const entry = (name: string) => header.entries.get(name)!;
    expect(entry('blocks.0.hook_resid_post')).toMatchObject({ dtype: 'F32', shape: [1, tokens, 64] });
    expect(entry('blocks.1.attn.hook_pattern')).toMatchObject({ dtype: 'F32', shape: [1, 4, tokens, tokens] });
    expect(header.metadata['model']).toMatch(/^gpt2 weights .*gpt2-tiny, 2\/2 blocks/);
  }, 60_000);
});
