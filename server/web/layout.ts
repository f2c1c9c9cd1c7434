/** The page shell every page shares, and the headers every page is sent with. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../deps.js';
import { matchesIfNoneMatch, strongEtag } from '../http.js';
import { SCRIPT_ASSET, STYLE_ASSET } from './assets.js';
import { html, type Html } from './html.js';
import type { Viewer } from './session.js';

/** Only this app's own files: no inline script or style, no inline handler, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface Page {
  title: string;
  body: Html;
  /** What the search box shows. */
  query?: string;
}

function signIn(viewer: Viewer, path: string): Html {
  if (viewer.session === null) {
    return html`<a href="/login?next=${encodeURIComponent(path)}">Sign in</a>`;
  }
  return html`<span class="muted">${viewer.principal.owner}</span>
    <form method="post" action="/logout"><input type="hidden" name="csrf" value="${viewer.session.csrf}"><button type="submit" class="quiet">Sign out</button></form>`;
}

export function renderPage(viewer: Viewer, path: string, page: Page): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · unipkg</title>
<link rel="stylesheet" href="${STYLE_ASSET.path}">
<script src="${SCRIPT_ASSET.path}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">unipkg</a>
<form class="search" role="search" method="get" action="/search">
<label class="visually-hidden" for="q">Search packages</label>
<input id="q" type="search" name="q" value="${page.query ?? ''}" placeholder="Search packages">
<button type="submit">Search</button>
</form>
<nav aria-label="Account">${signIn(viewer, path)}</nav>
</div></header>
<main id="main">
${page.body}
</main>
<footer>unipkg registry · <a href="/v1/packages">JSON API</a></footer>
</body>
</html>`;
}

/**
 * A page as a response: strict CSP, and an ETag over the body so that a browser's revalidation
 * costs no transfer when nothing changed (a yank or a publish changes the body, hence the tag).
 */
export function sendPage(c: Context<AppEnv>, viewer: Viewer, page: Page, status: ContentfulStatusCode = 200): Response {
  // Encoded once, for both the tag and the answer: a large package's page is 300 KB.
  const body = new TextEncoder().encode(renderPage(viewer, c.req.path, page).toString()) as Uint8Array<ArrayBuffer>;
  const etag = strongEtag(body);
  const headers: Record<string, string> = {
    ETag: etag,
    // A signed-in page names its reader and carries their CSRF value: never in a shared cache.
    'Cache-Control': viewer.session === null ? 'public, no-cache' : 'private, no-cache',
    Vary: 'Cookie',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  };
  if (status === 200 && matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  return c.body(body, status, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
}
