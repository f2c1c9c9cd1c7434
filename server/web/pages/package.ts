/** The package page: what it is, the line to get it, every version, and who depends on it. */
import semver from 'semver';
import { readReach } from '../../auth/access.js';
import type { AppDeps } from '../../deps.js';
import type { PackageTarget } from '../../http.js';
import { latestOf } from '../../routes/packages.js';
import { dependentsOf } from '../../store/overview.js';
import { esc, formatBytes, formatDate, html, packagePath, raw, versionPath, type Html } from '../html.js';
import type { Page } from '../layout.js';
import { readPackage, type ReadPackage, type VersionInfo } from '../read.js';
import type { Viewer } from '../session.js';

export function dependencyLinks(deps: Record<string, string>): Html {
  return raw(dependencyList(deps));
}

function dependencyList(deps: Record<string, string>): string {
  const entries = Object.entries(deps);
  if (entries.length === 0) return '<span class="muted">none</span>';
  let out = '<ul class="inline">';
  for (const [name, range] of entries) out += `<li><a href="${esc(packagePath(name))}">${esc(name)}</a> <code>${esc(range)}</code></li>`;
  return `${out}</ul>`;
}

/** Where this copy lives: this registry's own, or mirrored (and whether the copy is stale). */
export function sourceLine(deps: AppDeps, pkg: ReadPackage): Html {
  if (pkg.freshness === null || pkg.freshness.source === 'local') return html`<span class="badge">local</span>`;
  const stale = pkg.freshness.stale ? html` <span class="badge yanked">stale: the upstream did not answer</span>` : '';
  return html`<span class="badge">mirrored from ${deps.mirror?.config.upstream ?? 'upstream'}</span>${stale}`;
}

export function copyLine(id: string, text: string): Html {
  return html`<div class="copy"><code id="${id}">${text}</code><button type="button" class="quiet" data-copy="${id}" hidden>Copy</button></div>`;
}

/** One row of the versions table, as a plain string: this loop runs 1,000 times for a large package. */
function versionRow(full: string, version: string, v: VersionInfo): string {
  let arches = '';
  for (const arch of Object.keys(v.artifacts).sort()) {
    arches += `<span class="nowrap"><a href="${esc(versionPath(full, version, arch))}">${arch}</a> <span class="muted">${formatBytes(v.artifacts[arch]!.size)}</span></span> `;
  }
  const status = v.yanked
    ? `<span class="badge yanked">yanked</span>${v.yankReason !== undefined ? ` <span class="muted">${esc(v.yankReason)}</span>` : ''}`
    : '';
  return `<tr${v.yanked ? ' class="yanked"' : ''}><td><a href="${esc(versionPath(full, version))}">${esc(version)}</a></td><td class="hide-narrow">${esc(formatDate(v.publishedAt))}</td><td>${arches}</td><td>${dependencyList(v.dependencies)}</td><td>${status}</td></tr>`;
}

/** The highest version of each dependent that names this package, with the range it asks. */
function dependentList(rows: { package: string; version: string; range: string }[]): Html {
  const best = new Map<string, { version: string; range: string; count: number }>();
  for (const r of rows) {
    const b = best.get(r.package);
    if (!b) best.set(r.package, { version: r.version, range: r.range, count: 1 });
    else {
      b.count += 1;
      if (semver.gt(r.version, b.version)) Object.assign(b, { version: r.version, range: r.range });
    }
  }
  if (best.size === 0) return html`<p class="muted">No package in this registry depends on it.</p>`;
  return html`<ul class="plain">${[...best].map(
    ([name, b]) => html`<li><a href="${packagePath(name)}">${name}</a> <span class="muted">${b.version} asks</span> <code>${b.range}</code>${b.count > 1 ? html` <span class="muted">(${b.count} versions)</span>` : ''}</li>`,
  )}</ul>`;
}

export async function packagePage(deps: AppDeps, viewer: Viewer, target: PackageTarget): Promise<Page> {
  const pkg = await readPackage(deps, viewer.principal, target);
  const dependents = await dependentsOf(deps.db, target.full, readReach(viewer.principal));
  const parsed = Object.keys(pkg.versions).map((v) => semver.parse(v)!);
  parsed.sort((a, b) => b.compare(a));
  const latest = latestOf(parsed.map((p) => ({ version: p.version, yanked: pkg.versions[p.version]!.yanked ? 1 : 0 })));
  const rows = raw(parsed.map((p) => versionRow(target.full, p.version, pkg.versions[p.version]!)).join(''));
  const latestInfo = latest !== null ? pkg.versions[latest]! : undefined;
  return {
    title: target.full,
    body: html`<p class="crumbs"><a href="/namespaces/${target.namespace}">${target.namespace}</a> /</p>
<h1>${target.full} ${pkg.row.private === 1 ? html`<span class="badge private">private</span>` : ''} ${sourceLine(deps, pkg)}</h1>
${pkg.row.description !== null ? html`<p class="lede">${pkg.row.description}</p>` : ''}
${latest !== null ? copyLine('get-line', `uni pkg get ${target.full}@${latest}`) : ''}
<div class="grid two">
<section aria-labelledby="versions-h">
<h2 id="versions-h">Versions <span class="muted">(${parsed.length})</span></h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Version</th><th scope="col" class="hide-narrow">Published</th><th scope="col">Architectures</th><th scope="col">Dependencies</th><th scope="col">Status</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
</section>
<aside>
<h2>About</h2>
<dl class="facts">
<dt>Latest</dt><dd>${latest !== null ? html`<a href="${versionPath(target.full, latest)}">${latest}</a>` : 'none'}</dd>
<dt>Namespace</dt><dd><a href="/namespaces/${target.namespace}">${target.namespace}</a></dd>
<dt>Visibility</dt><dd>${pkg.row.private === 1 ? 'private' : 'public'}</dd>
<dt>Dependencies</dt><dd>${latestInfo !== undefined ? dependencyLinks(latestInfo.dependencies) : html`<span class="muted">none</span>`}</dd>
</dl>
<h2>Used by</h2>
${dependentList(dependents)}
</aside>
</div>`,
  };
}
