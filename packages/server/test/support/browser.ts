// Headless Chromium for the page tests: Debian's `chromium` (scripts/ensure-tools.mjs installs
// it), driven by playwright-core. Collects the page's console errors and uncaught exceptions (a
// test asserts there are none) and writes numbered screenshots into test-output/<test name>/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { chromium, type Browser, type Page } from 'playwright-core';

const OUTPUT = join(import.meta.dirname, '../../test-output');

function chromiumPath(): string {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const which = spawnSync('which', ['chromium'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || path === '') {
    throw new Error('chromium is not installed: run `node scripts/ensure-tools.mjs` (apt-get install chromium)');
  }
  return path;
}

export interface TestBrowser {
  page: Page;
  /** Console errors and uncaught exceptions of the page, as they came. */
  errors: string[];
  /** Writes test-output/<test name>/NN-<step>.png. */
  screenshot: (step: string) => Promise<string>;
}

/** Headless Chromium, closed when the test ends. */
export async function launchChromium(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  t.after(() => browser.close());
  return browser;
}

/** Pushes the page's console errors and uncaught exceptions into `errors`, as they come. */
export function collectErrors(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
}

/** A headless Chromium page, closed when the test ends. */
export async function openBrowser(t: TestContext, viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  collectErrors(page, errors);
  const folder = join(OUTPUT, t.name.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-|-$/g, ''));
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  let step = 0;
  const screenshot = async (name: string): Promise<string> => {
    step++;
    const file = join(folder, `${String(step).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  return { page, errors, screenshot };
}
