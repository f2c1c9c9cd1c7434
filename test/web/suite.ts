/**
 * The web UI in a real Chromium, the same flows against every deployment (node.test.ts,
 * workers.test.ts): search → package → version → file tree, dependency links and the graph,
 * publisher strings shown as text, a private package hidden until its owner signs in and yanks
 * it through the form, axe-core on every page, screenshots at phone and desktop widths.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Deployment } from '../api/suite.js';
import { call } from '../helpers/http.js';
import { expectAccessible, launchBrowser, takePageErrors, type Browser } from './browser.js';
import { publishFixtures, QUOTES, UNICODE, XSS, type Fixtures } from './fixtures.js';
import { defineSignInTests } from './suite-sign-in.js';

export interface WebContext {
  dep: Deployment;
  browser: Browser;
  fixtures: Fixtures;
}
export type WebRef = () => WebContext;

/** Where screenshots go: UNI_WEB_SCREENSHOTS (kept), else a temp folder removed after the run. */
function screenshotDir(name: string): { dir: string; keep: boolean } {
  const chosen = process.env['UNI_WEB_SCREENSHOTS'];
  if (chosen) {
    const dir = join(chosen, name.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(dir, { recursive: true });
    return { dir, keep: true };
  }
  return { dir: mkdtempSync(join(tmpdir(), 'uni-web-shots-')), keep: false };
}

async function noScriptRan(page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  // Only the UI's own script, and no image at all: nothing a publisher wrote became an element.
  expect(await page.locator('script').count()).toBe(1);
  expect(await page.locator('script').getAttribute('src')).toMatch(/^\/static\/ui-[0-9a-f]+\.js$/);
  expect(await page.locator('img').count()).toBe(0);
}

export function defineWebSuite(name: string, start: () => Promise<Deployment>): void {
  describe(`web UI on ${name}`, () => {
    let ctx: WebContext | undefined;
    let browser: Browser | undefined;
    let dep: Deployment | undefined;
    beforeAll(async () => {
      dep = await start();
      const fixtures = await publishFixtures(dep.baseUrl, dep.adminToken);
      browser = await launchBrowser();
      ctx = { dep, browser, fixtures };
    });
    afterAll(async () => {
      await browser?.close();
      await dep?.stop();
    });
    afterEach(() => {
      expect(takePageErrors()).toEqual([]);
    });
    const ref: WebRef = () => {
      if (!ctx) throw new Error('the deployment or the browser did not start');
      return ctx;
    };
    const base = () => ref().dep.baseUrl;

    test('search → package → version → file tree, by mouse and keyboard, every page accessible', async () => {
      const page = await ref().browser.page();
      await page.goto(base());
      await expect.poll(() => page.locator('h1').textContent()).toBe('Unikernel packages');
      await expect.poll(() => page.locator('.stats').textContent()).toMatch(/4\s+packages\s+5\s+versions\s+1\s+namespace/);
      await expectAccessible(page);
      await page.fill('#home-q', 'redis');
      await page.selectOption('#home-arch', 'x86_64');
      await page.click('main form button[type=submit]');
      await page.waitForURL(/\/search\?q=redis&arch=x86_64$/);
      expect(await page.locator('main ul.plain li').count()).toBe(1);
      await expectAccessible(page);
      await page.click('a[href="/packages/library/redis"]');
      await page.waitForURL(/\/packages\/library\/redis$/);
      expect(await page.locator('#get-line').textContent()).toBe('uni pkg get library/redis@7.2.4');
      // The script shows the copy button; the page works without it.
      expect(await page.locator('button[data-copy=get-line]').isVisible()).toBe(true);
      await expectAccessible(page);
      await page.click('tbody a[href="/packages/library/redis/7.2.4"]');
      await page.waitForURL(/\/packages\/library\/redis\/7\.2\.4$/);
      expect(await page.locator('dl.facts code').first().textContent()).toBe('/usr/bin/true');
      await expect.poll(() => page.locator('main').textContent()).toMatch(/sha256:[0-9a-f]{64}/);
      const link = page.locator('.tree li', { hasText: 'payload-link' }).last();
      expect(await link.isVisible()).toBe(false);
      await page.locator('summary', { hasText: /^etc\// }).click();
      expect(await link.isVisible()).toBe(true);
      // Keyboard: Tab reaches a folder, Enter opens it.
      const usr = page.locator('summary', { hasText: /^usr\// });
      await usr.focus();
      await page.keyboard.press('Enter');
      expect(await page.locator('summary', { hasText: /^bin\// }).first().isVisible()).toBe(true);
      await expectAccessible(page);
      await page.goto(`${base()}/namespaces/library`);
      expect(await page.locator('main ul.plain li').count()).toBe(4);
      await expectAccessible(page);
      await page.close();
    });

    test('dependencies link to their packages, dependents are listed, the graph is drawn and explains a failure', async () => {
      const page = await ref().browser.page();
      await page.goto(`${base()}/packages/library/redis`);
      await page.locator('tbody a[href="/packages/library/openssl"]').click();
      await page.waitForURL(/\/packages\/library\/openssl$/);
      expect((await page.locator('aside').textContent())!.replace(/\s+/g, ' ')).toContain('library/redis 7.2.4 asks ^3');
      await page.goto(`${base()}/packages/library/redis/7.2.4`);
      const nodes = await page.locator('.graph svg a').evaluateAll((as) => as.map((a) => a.getAttribute('aria-label')));
      expect(nodes.sort()).toEqual(['library/glibc@2.37.1', 'library/openssl@3.0.2', 'library/redis@7.2.4']);
      expect(await page.locator('.graph path.edge').count()).toBe(3);
      await page.locator('.graph svg a[aria-label="library/glibc@2.37.1"]').click();
      await page.waitForURL(/\/packages\/library\/glibc\/2\.37\.1\?arch=x86_64$/);
      expect((await page.locator('aside').textContent()) ?? '').toContain('none');
      await page.goto(`${base()}/packages/library/legacy/1.0.0`);
      expect(await page.locator('.error').textContent()).toContain('library/glibc: no version satisfies ^1.0 (required by library/legacy@1.0.0); the newest for x86_64 are 2.37.1, 2.36.0');
      expect(await page.locator('.graph svg a.missing').getAttribute('aria-label')).toBe('library/glibc@?');
      await expectAccessible(page);
      await page.close();
    });

    test('what a publisher wrote shows as text: <script>, quotes and unicode in descriptions, args, env, paths and links', async () => {
      const page = await ref().browser.page();
      await page.goto(`${base()}/packages/library/redis`);
      expect(await page.locator('.lede').textContent()).toBe(`in-memory store ${XSS} ${QUOTES} ${UNICODE}`);
      await noScriptRan(page);
      await page.goto(`${base()}/packages/library/redis/7.2.4`);
      const text = (await page.locator('main').textContent())!;
      for (const s of [`redis-server`, XSS, `GREETING=${QUOTES}`, `PAYLOAD=${XSS}`, `${QUOTES}.txt`, `${UNICODE}.txt`, `${XSS.replace(/\//g, '_')}.conf`, `→ ${XSS.replace(/\//g, '_')}.conf`]) {
        expect(text).toContain(s);
      }
      // A javascript: homepage is shown nowhere as a link.
      expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
      await noScriptRan(page);
      const raw = (await call(base(), 'GET', '/packages/library/redis/7.2.4')).body.toString();
      expect(raw).not.toContain('<script>window.__pwned');
      expect(raw).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
      await page.close();
    });

    test('pages send a strict CSP, revalidate with ETag, and answer bad input with a page that says what is wrong', async () => {
      const home = await call(base(), 'GET', '/');
      expect(home.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(home.headers.get('cache-control')).toBe('public, no-cache');
      const etag = home.headers.get('etag')!;
      expect((await call(base(), 'GET', '/', { headers: { 'if-none-match': etag } })).status).toBe(304);
      const css = /href="(\/static\/ui-[0-9a-f]+\.css)"/.exec(home.body.toString())![1]!;
      expect((await call(base(), 'GET', css)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      // No inline handler or inline script in what the app writes (a page without package data).
      const login = (await call(base(), 'GET', '/login')).body.toString();
      expect(login).not.toMatch(/\son[a-z]+=/i);
      expect(login.match(/<script[^>]*>/g)).toEqual([expect.stringMatching(/^<script src="\/static\/ui-[0-9a-f]+\.js" defer>$/)]);
      const page = await ref().browser.page();
      const bad = await page.goto(`${base()}/search?q=x&arch=sparc`);
      expect(bad!.status()).toBe(400);
      expect(await page.locator('.error').textContent()).toBe('unknown architecture "sparc": use x86_64 (amd64) or aarch64 (arm64)');
      const missing = await page.goto(`${base()}/packages/library/redis/9.9.9`);
      expect(missing!.status()).toBe(404);
      expect(await page.locator('.error').textContent()).toBe('version library/redis@9.9.9 not found');
      await expectAccessible(page);
      const nowhere = await page.goto(`${base()}/no/such/page`);
      expect(nowhere!.status()).toBe(404);
      expect(await page.locator('h1').textContent()).toBe('Not found');
      // The API keeps answering JSON.
      expect((await call(base(), 'GET', '/v1/no-such-route')).headers.get('content-type')).toMatch(/^application\/json/);
      await page.close();
    });

    defineSignInTests(ref);

    describe('screenshots at phone and desktop widths, light and dark, with axe on each', () => {
      let shots: { dir: string; keep: boolean } | undefined;
      beforeAll(() => {
        shots = screenshotDir(name);
      });
      afterAll(() => {
        if (!shots) return;
        process.stdout.write(`web UI screenshots (${name}): ${shots.dir}${shots.keep ? '' : ' (removed after the run; set UNI_WEB_SCREENSHOTS=DIR to keep them)'}\n`);
        if (!shots.keep) rmSync(shots.dir, { recursive: true, force: true });
      });
      for (const width of [390, 1280]) {
        for (const dark of [false, true]) {
          test(`${width} px, ${dark ? 'dark' : 'light'}`, async () => {
            const page = await ref().browser.page({ width, dark });
            for (const [label, path] of [
              ['home', '/'],
              ['package', '/packages/library/redis'],
              ['version', '/packages/library/redis/7.2.4'],
              ['legacy', '/packages/library/legacy/1.0.0'],
            ] as const) {
              await page.goto(base() + path);
              await page.screenshot({ path: join(shots!.dir, `${label}-${width}-${dark ? 'dark' : 'light'}.png`), fullPage: true });
              // Nothing sticks out sideways on a phone: the page scrolls down, not across.
              expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
              await expectAccessible(page);
            }
            await page.close();
          });
        }
      }
    });
  });
}
