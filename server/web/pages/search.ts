/** Search results with an architecture filter, a page at a time (the API's cursor). */
import { parseArch, type Arch } from '../../../protocol/names.js';
import type { AppDeps } from '../../deps.js';
import { searchResults } from '../../routes/packages.js';
import { html, packagePath } from '../html.js';
import type { Page } from '../layout.js';
import type { Viewer } from '../session.js';
import { archSelect } from './home.js';

const PAGE_SIZE = 25;

export async function searchPage(deps: AppDeps, viewer: Viewer, q: string, archRaw: string, cursor: string | undefined): Promise<Page> {
  const arch: Arch | null = archRaw === '' ? null : parseArch(archRaw);
  const { results, next } = await searchResults(deps, viewer.principal, { q, arch, limit: PAGE_SIZE, cursor });
  const items = results.map(
    (r) => html`<li><a href="${packagePath(r.name)}"><strong>${r.name}</strong></a>
      ${r.latest !== null ? html`<span class="muted">${r.latest}</span>` : ''}
      ${r.private ? html`<span class="badge private">private</span>` : ''}
      ${r.source === 'mirror' ? html`<span class="badge">mirrored</span>` : ''}
      <span class="muted">${r.arches.join(' · ')}</span>
      ${r.description !== undefined ? html`<div class="muted">${r.description}</div>` : ''}</li>`,
  );
  const query = new URLSearchParams({ q, ...(arch !== null ? { arch } : {}) });
  const nextLink = next !== undefined ? html`<a href="/search?${query.toString()}&amp;cursor=${encodeURIComponent(next)}" rel="next">Next page</a>` : '';
  const firstLink = cursor !== undefined && cursor !== '' ? html`<a href="/search?${query.toString()}">First page</a>` : '';
  const heading = q === '' ? 'All packages' : html`Results for “${q}”`;
  return {
    title: q === '' ? 'All packages' : `Search: ${q}`,
    query: q,
    body: html`<h1>${heading}</h1>
<form class="inline" role="search" method="get" action="/search">
<label class="visually-hidden" for="search-q">Search packages</label>
<input id="search-q" type="text" name="q" value="${q}" placeholder="name or description">
${archSelect(arch, 'search-arch')}
<button type="submit">Search</button>
</form>
${results.length === 0 ? html`<p>No packages match${arch !== null ? html` for ${arch}` : ''}.</p>` : html`<ul class="plain">${items}</ul>`}
<nav class="pager" aria-label="Pages">${firstLink}${nextLink}</nav>`,
  };
}
