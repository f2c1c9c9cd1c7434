/** Signing in with a token, what a session shows, yanking through the form, CSRF and sign-out. */
import { expect, test } from 'vitest';
import { call } from '../helpers/http.js';
import { expectAccessible } from './browser.js';
import { XSS } from './fixtures.js';
import type { WebRef } from './suite.js';

const SECRET = '/packages/acme/secret-app';

export function defineSignInTests(ref: WebRef): void {
  const base = () => ref().dep.baseUrl;
  const apiDoc = async () => (await call(base(), 'GET', '/v1/packages/acme/secret-app', { token: ref().fixtures.acmeToken })).json();

  test('a private package is a 404 to visitors, as in the API, and appears once its owner signs in', async () => {
    const { browser, fixtures } = ref();
    await browser.context.clearCookies();
    const page = await browser.page();
    const hidden = await page.goto(base() + SECRET);
    expect(hidden!.status()).toBe(404);
    const api = (await call(base(), 'GET', '/v1/packages/acme/secret-app')).json<{ error: { message: string } }>();
    expect(await page.locator('.error').textContent()).toBe(api.error.message);
    expect((await page.goto(`${base()}${SECRET}/1.0.0`))!.status()).toBe(404);
    expect((await page.goto(`${base()}/namespaces/acme`))!.status()).toBe(404);
    await page.goto(`${base()}/search?q=secret`);
    expect(await page.locator('main').textContent()).toContain('No packages match');
    await page.goto(`${base()}/`);
    expect(await page.locator('main').textContent()).not.toContain('secret-app');

    await page.goto(`${base()}/login?next=${encodeURIComponent(SECRET)}`);
    await expectAccessible(page);
    await page.fill('#token', 'uni_not-a-token-this-registry-knows');
    await page.click('main button[type=submit]');
    expect(await page.locator('.error').textContent()).toBe('the token is not known to this registry');
    expect(await browser.context.cookies()).toEqual([]);

    await page.fill('#token', fixtures.acmeToken);
    await page.click('main button[type=submit]');
    await page.waitForURL(new RegExp(`${SECRET}$`));
    expect(await page.locator('h1 .badge.private').textContent()).toBe('private');
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: 'uni_session', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    // The cookie holds a session id, not the token.
    expect(cookie!.value).not.toContain(fixtures.acmeToken.slice(4, 20));
    await page.goto(`${base()}/search?q=secret`);
    expect(await page.locator('main ul.plain li').count()).toBe(1);
    await page.goto(`${base()}/namespaces/acme`);
    expect(await page.locator('main').textContent()).toContain('Owned by acme');
    await page.close();
  });

  test('the owner yanks with a reason and unyanks through the form; a form without the CSRF value or from another site changes nothing', async () => {
    const { browser } = ref();
    const page = await browser.page();
    await page.goto(`${base()}${SECRET}/1.0.0`);
    await expectAccessible(page);
    await page.fill('#reason', `broken: ${XSS}`);
    await page.click('button:has-text("Yank 1.0.0")');
    await page.waitForURL(new RegExp(`${SECRET}/1\\.0\\.0$`));
    expect(await page.locator('.notice').textContent()).toContain(`Yanked: broken: ${XSS}`);
    expect((await apiDoc()).versions['1.0.0']).toMatchObject({ yanked: true, yankReason: `broken: ${XSS}` });
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.goto(base() + SECRET);
    expect(await page.locator('tbody tr.yanked .badge').textContent()).toBe('yanked');
    await page.goto(`${base()}${SECRET}/1.0.0`);
    await page.click('button:has-text("Unyank 1.0.0")');
    await page.waitForURL(new RegExp(`${SECRET}/1\\.0\\.0$`));
    expect(await page.locator('.notice').count()).toBe(0);
    expect((await apiDoc()).versions['1.0.0'].yanked).toBe(false);

    // The session's cookie goes along (same browser context), but the CSRF value does not match.
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const forged = await browser.context.request.post(`${base()}${SECRET}/1.0.0/yank`, { form: { yanked: 'true', csrf: 'guessed' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('the form is out of date');
    const crossSite = await browser.context.request.post(`${base()}${SECRET}/1.0.0/yank`, {
      form: { yanked: 'true', csrf },
      headers: { origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    expect(await crossSite.text()).toContain('a form from https://evil.example may not change anything here');
    const tooLong = await browser.context.request.post(`${base()}${SECRET}/1.0.0/yank`, { form: { yanked: 'true', csrf, reason: 'r'.repeat(1025) }, maxRedirects: 0 });
    expect(tooLong.status()).toBe(400);
    expect(await tooLong.text()).toContain('field &quot;reason&quot; must be a string of at most 1024 characters');
    expect((await apiDoc()).versions['1.0.0'].yanked).toBe(false);
    // A visitor with no session gets no form, and a post without one is refused.
    await browser.context.clearCookies();
    const anonymous = await browser.context.request.post(`${base()}/packages/library/redis/7.2.4/yank`, { form: { yanked: 'true', csrf }, maxRedirects: 0 });
    expect(anonymous.status()).toBe(401);
    expect((await call(base(), 'GET', '/v1/packages/library/redis')).json().versions['7.2.4'].yanked).toBe(false);
    await page.close();
  });

  test('signing out ends the session for good, and revoking the token ends every session opened with it', async () => {
    const { browser, dep } = ref();
    const made = await call(base(), 'POST', '/v1/tokens', { token: dep.adminToken, body: { scopes: ['read'], namespace: 'acme', name: 'short-lived' } });
    const { token, id } = made.json<{ token: string; id: string }>();
    const page = await browser.page();
    const signIn = async () => {
      await page.goto(`${base()}/login?next=${encodeURIComponent(SECRET)}`);
      await page.fill('#token', token);
      await page.click('main button[type=submit]');
      await page.waitForURL(new RegExp(`${SECRET}$`));
    };
    await signIn();
    // A read token sees the package but gets no yank form.
    await page.goto(`${base()}${SECRET}/1.0.0`);
    expect(await page.locator('button:has-text("Yank")').count()).toBe(0);
    const [old] = await browser.context.cookies();
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(`${base()}/`);
    expect(await browser.context.cookies()).toEqual([]);
    await browser.context.addCookies([old!]);
    expect((await page.goto(base() + SECRET))!.status()).toBe(404);

    await signIn();
    expect((await call(base(), 'DELETE', `/v1/tokens/${id}`, { token: dep.adminToken })).status).toBe(200);
    expect((await page.goto(base() + SECRET))!.status()).toBe(404);
    expect(await page.locator('nav a[href^="/login"]').textContent()).toBe('Sign in');
    await page.close();
  });
}
