/** The sign-in page: a token in, a session cookie out (session.ts). */
import { html } from '../html.js';
import type { Page } from '../layout.js';

/** Only a path on this site: never an absolute or protocol-relative URL, so the form redirects nowhere else. */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?![/\\])/.test(next) ? next : '/';
}

export function loginPage(next: string, error?: string): Page {
  return {
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
<p class="lede">Paste a registry token (<code>uni token create</code>, or the admin token the registry printed). Signed in, you see your private packages and can yank versions. The browser keeps a session cookie, not the token.</p>
${error !== undefined ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label for="token">Token</label>
<input id="token" type="password" name="token" autocomplete="current-password" required>
<div><button type="submit">Sign in</button></div>
</form>`,
  };
}

export function errorPage(status: number, message: string): Page {
  const title = status === 404 ? 'Not found' : status === 401 ? 'Sign in needed' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'Bad request';
  return {
    title,
    body: html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p><a href="/">Home</a> · <a href="/search">All packages</a></p>`,
  };
}
