import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeWithBrowser, openPage } from '../../../test-support/browser';
import { startServer, type RunningServer } from '../server';
import { buildRunsFolder, rawGet } from './serve-fixtures';

// `repscope serve` in a real browser (headless Chromium): the list's live progress, comparing
// two runs, and a traversal attempt — what a researcher watching a sweep relies on.
jest.setTimeout(60_000);

describeWithBrowser('repscope serve in Chromium', (browser) => {
  let root: string;
  let server: RunningServer;

  beforeAll(async () => {
    root = buildRunsFolder();
    server = await startServer({ dir: root, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the list shows the sweep; a running job’s progress advances without a reload; two runs compare with overlaid curves', async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(server.url);
    await page.waitForSelector('#sweeps tr[data-path="sweeps/s1"]');
    const progress = (p: string) => page.$eval(`#runs tr[data-path="${p}"]`, (tr) => tr.textContent ?? '');
    expect(await progress('sweeps/s1/01-lr=2')).toContain('2 / 10');
    // Set on this document only: still there later means the page was never reloaded.
    await page.evaluate('window.__sameDocument = true');
    // The job writes two more metric lines; the page (not reloaded) shows them within a poll or two.
    const metrics = path.join(root, 'sweeps', 's1', '01-lr=2', 'metrics.jsonl');
    fs.appendFileSync(metrics, `${JSON.stringify({ step: 2, loss: 1 })}\n${JSON.stringify({ step: 3, loss: 0.9 })}\n`);
    await page.waitForFunction(`document.querySelector('#runs tr[data-path="sweeps/s1/01-lr=2"]')?.textContent?.includes('4 / 10')`, { timeout: 10_000 });
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);

    await page.click('#runs tr[data-path="inversion/a/t1"] input[type=checkbox]');
    await page.click('#runs tr[data-path="inversion/b/t1"] input[type=checkbox]');
    await Promise.all([page.waitForNavigation(), page.click('#compare')]);
    const text = (await page.evaluate('document.body.textContent')) as string;
    expect(text).toContain('optimizer.lr');
    // One chart of `loss` with a line per run.
    const lines = await page.$$eval('svg path[aria-roledescription="line mark"]', (els) => els.length);
    expect(lines).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a request for ../../etc/passwd is refused', async () => {
    // Through the file route, where a path would be opened: each is refused as traversal (403), not merely not found.
    for (const raw of ['/files/../../etc/passwd', '/files/..%2f..%2fetc%2fpasswd', '/files/%2e%2e/%2e%2e/etc/passwd']) {
      const r = await rawGet(server.url, raw);
      expect([raw, r.status]).toEqual([raw, 403]);
      expect(r.body).not.toContain('root:');
    }
    // From a browser, which resolves the dots before sending: the request leaves /files/ and matches no route.
    const { page } = await openPage(browser());
    const response = await page.goto(new URL('/files/%2e%2e/%2e%2e/etc/passwd', server.url).href);
    expect(response?.status()).toBe(404);
    expect(await response?.text()).not.toContain('root:');
    await page.close();
  });
});
