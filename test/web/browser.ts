/**
 * Debian's Chromium driven by playwright-core (no browser download): a fresh profile in the
 * temp folder, removed afterwards; axe-core injected from node_modules into the page under test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env['UNI_CHROMIUM'] ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface Browser {
  /** The one browsing context: its cookies are the signed-in state (clearCookies() signs out). */
  context: BrowserContext;
  /** A new tab at a phone's or a desktop's width, in the light or the dark scheme. */
  page(opts?: { width?: number; dark?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'uni-chromium-'));
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    .catch((e: unknown) => {
      rmSync(profile, { recursive: true, force: true });
      throw e;
    });
  return {
    context,
    async page(opts = {}) {
      const page = await context.newPage();
      const width = opts.width ?? 1280;
      await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
      await page.emulateMedia({ colorScheme: opts.dark ? 'dark' : 'light' });
      // A page that throws or that the CSP blocks something on is a failure, not a log line.
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) errors.push(`${page.url()}: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What pages reported as errors (script errors, CSP refusals) since the last call. */
const errors: string[] = [];
export function takePageErrors(): string[] {
  return errors.splice(0);
}

/** axe-core over the whole page; any violation fails with its rule, impact and the elements. */
export async function expectAccessible(page: Page): Promise<void> {
  // Evaluated through the DevTools protocol: a <script> tag with this source inline would be
  // refused by the page's own CSP (script-src 'self'), which is the point of the CSP.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `axe on ${page.url()}`).toEqual([]);
}
