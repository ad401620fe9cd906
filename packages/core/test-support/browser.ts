import { execFileSync } from 'node:child_process';
import type { Browser, ConsoleMessage, Page } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';

/** Debian's Chromium (installed by .ci/install-chromium), or the one CHROMIUM names. */
export function findChromium(): string | undefined {
  if (process.env['CHROMIUM']) return process.env['CHROMIUM'];
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * `describe` for browser tests: skipped, saying why, where no Chromium is installed — except
 * under CI=true, where .ci/run installs one and a missing browser must fail, not pass as a skip.
 */
export function describeWithBrowser(name: string, body: (browser: () => Browser) => void): void {
  const executable = findChromium();
  if (!executable && process.env['CI'] !== 'true') {
    describe.skip(`${name} (skipped: no chromium on PATH; .ci/install-chromium installs Debian's)`, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let browser: Browser;
    beforeAll(async () => {
      if (!executable) throw new Error('CI=true but no chromium on PATH (.ci/install-chromium should have installed it)');
      browser = await puppeteer.launch({ executablePath: executable, headless: true, args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'] });
    });
    afterAll(async () => {
      await browser?.close();
    });
    body(() => browser);
  });
}

/** A 1280 × 800 page that records console errors and uncaught exceptions. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e: unknown) => errors.push(String(e)));
  // Chromium's console line for a failed resource omits its URL: name it.
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  return { page, errors };
}
