import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { VIT_TINY } from '@repscope/test-support';
import { describeWithBrowser, openPage } from '../../../test-support/browser';
import { runCli } from '../../../test-support/cli';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';

/*
 * The reports as a reader first sees them: each kind of report, made by a real (tiny) run, opened
 * in headless Chromium at 1280 × 800 — the answer must be on the first screen, the page must not
 * scroll sideways, and nothing may fail in the console (a CSP-blocked script would). With
 * REPSCOPE_SCREENSHOTS=DIR the screenshots are kept there (docs/looking-at-results.md uses them).
 */
jest.setTimeout(300_000);

const WIDTH = 1280;
const HEIGHT = 800;
const tokens = 'input: { text: "The sky is blue." }';
// Untrained, small, and with GPT-2's vocabulary, so the reports show words, not ids.
const tiny = 'model: { kind: gpt2, config: { nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 32 }, depth: 1, head: false }';

/** Each report, the config that makes it, and what its answer is (the element that must be on the first screen). */
const REPORTS: { name: string; sweep?: boolean; config: string[]; answer: string }[] = [
  { name: 'inversion', config: ['experiment: inversion', tiny, tokens, 'steps: 30'], answer: '.headline' },
  { name: 'sequential', config: ['experiment: inversion', 'method: sequential', tiny, tokens], answer: '.headline' },
  { name: 'walk', config: ['experiment: walks', tiny, tokens, 'walk: tangent', 'steps: 6', 'tangent: { stepSize: 0.01, direction: last }', 'decode: { at: [6] }'], answer: '.headline' },
  {
    name: 'feature-viz',
    config: ['experiment: feature-viz', `model: { kind: vit, weights: ${JSON.stringify(VIT_TINY)}, depth: 2 }`, 'panels: { neurons: [0, 1, 2, 3] }', 'steps: 6', 'lr: 0.05'],
    answer: '.headline',
  },
  {
    name: 'train',
    config: ['experiment: train', 'model: { kind: gpt2, config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 32 } }', 'data: { synthetic: { sentences: 200 } }', 'steps: 6', 'batch: { sequences: 2, tokens: 32 }'],
    answer: '.headline',
  },
  {
    name: 'sweep',
    sweep: true,
    config: ['experiment: inversion', tiny, tokens, 'steps: 10', 'sweep:', '  grid:', '    model.depth: [1, 2]', '    optimizer.lr: [0.5, 2]'],
    // A sweep's answer is its results against the axes: the first chart starts on the first screen.
    answer: 'figure.chart',
  },
];

describeWithBrowser('reports in headless Chromium at 1280 × 800', (browser) => {
  const work = tempDir();
  const keep = process.env['REPSCOPE_SCREENSHOTS'];

  test.each(REPORTS)('$name: the answer on the first screen, no sideways scroll, no console errors', async ({ name, sweep, config, answer }) => {
    writeConfig(work, `${name}.yaml`, config.join('\n') + '\n');
    const r = runCli([sweep ? 'sweep' : 'run', `${name}.yaml`, '--out', name], work, 240_000);
    expect({ name, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ name, code: 0, stderr: '' });
    const report = path.join(work, name, 'report.html');

    const { page, errors } = await openPage(browser());
    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    const layout = (await page.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(answer)});
      const box = el && el.getBoundingClientRect();
      return { scrollWidth: document.documentElement.scrollWidth, answerTop: box ? box.top : null, answerText: el ? el.textContent.slice(0, 200) : null };
    })()`)) as { scrollWidth: number; answerTop: number | null; answerText: string | null };
    expect(layout.answerTop).not.toBeNull();
    expect(layout.answerTop!).toBeLessThan(HEIGHT - 100);
    expect(layout.scrollWidth).toBeLessThanOrEqual(WIDTH);
    expect(errors).toEqual([]);
    const shot = path.join(keep ?? work, `report-${name}.png`);
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot as `${string}.png` });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });
});
