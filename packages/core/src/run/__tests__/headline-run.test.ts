import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { definePlugin, Plugin } from '../../plugin/types';
import type { RunContext } from '../../plugin/api';
import { runExperiment } from '../runner';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';
import { testEnvironment } from '../../../test-support/environment';

/** A plugin whose run does what `body` says, then returns `fields`. */
function plugin(body: (ctx: RunContext) => void, fields: Record<string, unknown>): Plugin<Record<string, unknown>> {
  return definePlugin({
    name: 'answers',
    version: '1.0.0',
    description: 'declares a headline and summary roles',
    optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
    run: async (ctx) => {
      body(ctx);
      return fields;
    },
  });
}

async function run(p: Plugin<Record<string, unknown>>) {
  const dir = tempDir();
  const file = writeConfig(dir, 'exp.yaml', 'experiment: answers\nbackend: cpu\n');
  const outcome = await runExperiment(await resolveExperiment(loadRawConfig(file, []), testEnvironment([p])), { outDir: path.join(dir, 'run'), progress: 'silent', log: () => {} });
  const read = (name: string) => fs.readFileSync(path.join(outcome.dir, name), 'utf8');
  return { outcome, read };
}

describe('a run that declares its answer', () => {
  test('report.html opens with the headline; summary.json records which fields are bookkeeping, and the table dims them', async () => {
    const { outcome, read } = await run(
      plugin((ctx) => {
        ctx.report.setHeadline({ answer: 'a provisional answer' });
        ctx.metrics.describe({ summaryRoles: { msPerStep: 'bookkeeping' } });
        ctx.report.setHeadline({ answer: 'found 3', verdict: 'good', facts: [{ label: 'found', value: 3 }] });
      }, { found: 3, msPerStep: 1.5, summaryRoles: { found: 'bookkeeping' } }),
    );
    expect(outcome.status).toBe('completed');
    const summary = JSON.parse(read('summary.json'));
    // The plugin's own `summaryRoles` field cannot overwrite what it declared through describe.
    expect(summary.summaryRoles).toEqual({ msPerStep: 'bookkeeping' });
    const html = read('report.html');
    expect(html).not.toContain('a provisional answer');
    expect(html.indexOf('<p class="answer good">found 3</p>')).toBeGreaterThan(0);
    expect(html.indexOf('<p class="answer good">found 3</p>')).toBeLessThan(html.indexOf('<h2>Summary</h2>'));
    expect(html).toContain('<tr class="bookkeeping"><th>msPerStep</th>');
    expect(html).toContain('<tr><th>found</th>');
    expect(html).not.toContain('<th>summaryRoles</th>');
  });

  test('a run that declares no roles writes no summaryRoles; a misspelt role fails the run naming the field', async () => {
    const plain = await run(plugin(() => undefined, { found: 1 }));
    expect(JSON.parse(plain.read('summary.json'))).not.toHaveProperty('summaryRoles');
    const typo = await run(plugin((ctx) => ctx.metrics.describe({ summaryRoles: { msPerStep: 'bookeeping' as never } }), {}));
    expect(typo.outcome.status).toBe('failed');
    expect(typo.outcome.error).toContain('ctx.metrics.describe: summaryRoles.msPerStep must be "result" or "bookkeeping" (got "bookeeping")');
  });
});
