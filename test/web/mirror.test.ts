/** The web UI on a mirror: mirrored packages say where they come from and when the copy is stale, and cannot be yanked here. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeDir, startServer, type Server } from '../mirror/servers.js';
import { expectAccessible, launchBrowser, takePageErrors, type Browser } from './browser.js';
import { publish } from './fixtures.js';

describe('web UI on a mirror', () => {
  let origin: Server | undefined;
  let mirror: Server | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    origin = await startServer();
    await publish(origin.url, origin.adminToken, 'library', 'glibc', '2.36.0', { Description: 'the GNU C library' });
    await publish(origin.url, origin.adminToken, 'library', 'openssl', '3.0.2', { Description: 'TLS', Dependencies: { 'library/glibc': '^2' } });
    mirror = await startServer(['--upstream', origin.url, '--mirror', 'library', '--max-age', '0s', '--upstream-backoff', '60s', '--upstream-timeout', '2s']);
    await publish(mirror.url, mirror.adminToken, 'acme', 'tool', '1.0.0', { Description: 'made here', Dependencies: { 'library/openssl': '^3' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await mirror?.stop();
    await origin?.stop();
    for (const s of [mirror, origin]) if (s) removeDir(s.dataDir);
  });

  test('a local package links to mirrored ones, which say where they come from; a stopped upstream shows a stale copy; no yank on a mirrored namespace', async () => {
    const page = await browser!.page();
    await page.goto(`${mirror!.url}/packages/acme/tool/1.0.0`);
    expect(await page.locator('h1 .badge').first().textContent()).toBe('local');
    // The graph reads the mirrored dependencies through the upstream.
    const nodes = await page.locator('.graph svg a').evaluateAll((as) => as.map((a) => a.getAttribute('aria-label')).sort());
    expect(nodes).toEqual(['acme/tool@1.0.0', 'library/glibc@2.36.0', 'library/openssl@3.0.2']);
    await page.locator('.graph svg a[aria-label="library/openssl@3.0.2"]').click();
    await page.waitForURL(/\/packages\/library\/openssl\/3\.0\.2\?arch=x86_64$/);
    expect(await page.locator('h1').textContent()).toContain(`mirrored from ${origin!.url}`);
    await expectAccessible(page);

    await page.goto(`${mirror!.url}/login?next=/packages/library/openssl/3.0.2`);
    await page.fill('#token', mirror!.adminToken);
    await page.click('main button[type=submit]');
    await page.waitForURL(/\/packages\/library\/openssl\/3\.0\.2$/);
    expect(await page.locator('button:has-text("Yank")').count()).toBe(0);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const refused = await browser!.context.request.post(`${mirror!.url}/packages/library/openssl/3.0.2/yank`, { form: { yanked: 'true', csrf }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain(`namespace &quot;library&quot; is mirrored from ${origin!.url}: yank there`);

    await origin!.stop();
    await page.goto(`${mirror!.url}/packages/library/openssl`);
    expect(await page.locator('h1').textContent()).toContain('stale: the upstream did not answer');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await expectAccessible(page);
    await page.close();
    expect(takePageErrors()).toEqual([]);
  });
});
