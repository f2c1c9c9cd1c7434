/** The home page: the search box (in the header, and a larger one here), counts, recently published. */
import { ARCHES } from '../../../protocol/names.js';
import { readReach } from '../../auth/access.js';
import type { AppDeps } from '../../deps.js';
import { countVisible, recentPublishes } from '../../store/overview.js';
import { formatDate, html, versionPath, type Html } from '../html.js';
import type { Page } from '../layout.js';
import type { Viewer } from '../session.js';

const RECENT = 15;

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

export function archSelect(selected: string | null, id: string): Html {
  const options = ARCHES.map((a) => html`<option value="${a}"${a === selected ? html` selected` : ''}>${a}</option>`);
  return html`<label class="visually-hidden" for="${id}">Architecture</label><select id="${id}" name="arch"><option value="">any architecture</option>${options}</select>`;
}

export async function homePage(deps: AppDeps, viewer: Viewer): Promise<Page> {
  const reach = readReach(viewer.principal);
  const [counts, recent] = await Promise.all([countVisible(deps.db, reach), recentPublishes(deps.db, reach, RECENT)]);
  const rows = recent.map(
    (r) => html`<li><a href="${versionPath(r.package, r.version, r.arch ?? undefined)}">${r.package}@${r.version}</a>
      <span class="muted">${r.arch ?? ''} · ${formatDate(r.at)}</span>${r.description !== null ? html`<div class="muted">${r.description}</div>` : ''}</li>`,
  );
  return {
    title: 'Packages',
    body: html`<h1>Unikernel packages</h1>
<p class="lede">Language runtimes and servers packaged for nanos and ops. Fetch one with <code>uni pkg get NAME</code>.</p>
<form class="inline" role="search" method="get" action="/search">
<label class="visually-hidden" for="home-q">Search packages</label>
<input id="home-q" type="text" name="q" placeholder="name or description">
${archSelect(null, 'home-arch')}
<button type="submit">Search</button>
</form>
<ul class="stats" aria-label="Counts">
<li><strong>${counts.packages}</strong> ${plural(counts.packages, 'package')}</li>
<li><strong>${counts.versions}</strong> ${plural(counts.versions, 'version')}</li>
<li><strong>${counts.namespaces}</strong> ${plural(counts.namespaces, 'namespace')}</li>
</ul>
<h2>Recently published</h2>
${recent.length === 0 ? html`<p class="muted">Nothing published yet: publish with <code>uni pkg publish</code>.</p>` : html`<ul class="plain">${rows}</ul>`}
<p><a href="/search">Browse every package</a></p>`,
  };
}
