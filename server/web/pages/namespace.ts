/** A namespace: its owner and its packages (those the reader may see), by name, a page at a time. */
import { readReach } from '../../auth/access.js';
import type { AppDeps } from '../../deps.js';
import { notFound } from '../../http.js';
import { isMirrored } from '../../mirror/config.js';
import { findNamespace } from '../../store/namespaces.js';
import { namespacePackages } from '../../store/overview.js';
import { html, packagePath } from '../html.js';
import type { Page } from '../layout.js';
import type { Viewer } from '../session.js';

const PAGE_SIZE = 100;

export async function namespacePage(deps: AppDeps, viewer: Viewer, namespace: string, after: string): Promise<Page> {
  const [ns, rows] = await Promise.all([
    findNamespace(deps.db, namespace),
    namespacePackages(deps.db, namespace, readReach(viewer.principal), after, PAGE_SIZE + 1),
  ]);
  // A namespace with nothing the reader may see looks the same whether it exists or not.
  if (rows.length === 0 && after === '') throw notFound(`namespace ${namespace}`);
  const page = rows.slice(0, PAGE_SIZE);
  const mirrored = deps.mirror !== undefined && isMirrored(deps.mirror.config, namespace);
  const items = page.map(
    (p) => html`<li><a href="${packagePath(p.name)}"><strong>${p.short_name}</strong></a>
      ${p.private === 1 ? html`<span class="badge private">private</span>` : ''}
      ${p.description !== null ? html`<div class="muted">${p.description}</div>` : ''}</li>`,
  );
  const next = rows.length > PAGE_SIZE ? html`<a rel="next" href="/namespaces/${namespace}?after=${encodeURIComponent(page[page.length - 1]!.short_name)}">Next page</a>` : '';
  return {
    title: namespace,
    body: html`<h1>${namespace}</h1>
<p class="lede">${mirrored ? html`Mirrored from ${deps.mirror!.config.upstream}.` : ns !== undefined ? html`Owned by ${ns.owner}.` : 'No owner: only admins publish here.'}</p>
<ul class="plain">${items}</ul>
<nav class="pager" aria-label="Pages">${after !== '' ? html`<a href="/namespaces/${namespace}">First page</a>` : ''}${next}</nav>`,
  };
}
