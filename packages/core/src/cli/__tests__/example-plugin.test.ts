import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Plugin } from '../../plugin/types';
import { assertPluginConformance } from '../../testing/conformance';
import { GPT2_TINY } from '@repscope/test-support';
import { runCli } from '../../../test-support/cli';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';

const EXAMPLE = path.resolve(__dirname, '..', '..', '..', '..', '..', 'examples', 'plugin-logit-lens');

describe('the example plugin from docs/authoring-plugins.md, installed outside the repository', () => {
  test('runs via `plugins:` and is listed by `repscope plugins`', () => {
    const dir = tempDir();
    fs.cpSync(EXAMPLE, path.join(dir, 'my-plugin'), { recursive: true });
    writeConfig(dir, 'lens.yaml', `experiment: logit-lens\nplugins: [./my-plugin]\nbackend: cpu\nmodel: { kind: gpt2, weights: ${GPT2_TINY} }\ninput: { tokens: [134, 413, 282, 199] }\n`);
    const r = runCli(['run', 'lens.yaml', '--out', 'out'], dir);
    expect(r.stderr).toContain('backend: cpu');
    expect(r.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', experiment: 'logit-lens', layers: 3, inputTokens: 4 });
    expect(summary.finalTokensKept).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out', 'layers.json'), 'utf8'))[0].tokensKept).toBe(1);
    const listed = runCli(['plugins', './my-plugin', '--json'], dir);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'logit-lens', status: 'ok', source: 'path' })]));
    const typo = runCli(['validate', 'lens.yaml', 'topk=3'], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('topk: unknown key. Did you mean "topK"?');
  });

  test('passes the conformance kit', async () => {
    await assertPluginConformance(require(path.join(EXAMPLE, 'index.js')) as Plugin<Record<string, unknown>>);
  });
});
