/** The version page: per architecture the digest, the manifest, the resolved dependency graph and the file tree. */
import { parseArch, type Arch } from '../../../protocol/names.js';
import type { FileIndexEntry } from '../../../protocol/archive/types.js';
import { checkPublish } from '../../auth/access.js';
import type { AppDeps } from '../../deps.js';
import { notFound, type PackageTarget } from '../../http.js';
import { isMirrored } from '../../mirror/config.js';
import { findArtifact } from '../../store/packages.js';
import { resolveClosure, type DependencyGraph } from '../closure.js';
import { formatBytes, formatDate, html, packagePath, versionPath, type Html } from '../html.js';
import type { Page } from '../layout.js';
import { readPackage, versionsLoader, type VersionInfo } from '../read.js';
import type { Viewer } from '../session.js';
import { graphSvg } from '../svg.js';
import { fileTree } from '../tree.js';
import { copyLine, dependencyLinks, sourceLine } from './package.js';

function chooseArch(info: VersionInfo, asked: string | undefined): Arch {
  if (asked !== undefined && asked !== '') return parseArch(asked);
  const arches = Object.keys(info.artifacts).sort();
  return (arches.includes('x86_64') ? 'x86_64' : arches[0]) as Arch;
}

function manifestFacts(m: Record<string, unknown>): Html {
  const args = Array.isArray(m['Args']) ? (m['Args'] as unknown[]).map(String) : [];
  const env = m['Env'] !== null && typeof m['Env'] === 'object' ? Object.entries(m['Env'] as Record<string, unknown>) : [];
  const homepage = typeof m['Homepage'] === 'string' && /^https?:\/\//i.test(m['Homepage']) ? m['Homepage'] : null;
  return html`<dl class="facts">
<dt>Program</dt><dd><code>${typeof m['Program'] === 'string' ? m['Program'] : ''}</code></dd>
<dt>Args</dt><dd>${args.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="inline">${args.map((a) => html`<li><code>${a}</code></li>`)}</ul>`}</dd>
<dt>Env</dt><dd>${env.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${env.map(([k, v]) => html`<li><code>${k}=${String(v)}</code></li>`)}</ul>`}</dd>
${typeof m['License'] === 'string' ? html`<dt>License</dt><dd>${m['License']}</dd>` : ''}
${homepage !== null ? html`<dt>Homepage</dt><dd><a href="${homepage}" rel="nofollow noopener">${homepage}</a></dd>` : ''}
</dl>
<details><summary>The whole package.manifest</summary><pre>${JSON.stringify(m, null, 2)}</pre></details>`;
}

function graphSection(graph: DependencyGraph, arch: string, root: string): Html {
  if (graph.nodes.length === 1) return html`<p class="muted">No dependencies.</p>`;
  const problems =
    graph.problems.length === 0
      ? ''
      : html`<div class="error" role="note"><strong>Does not resolve for ${arch}:</strong><ul>${graph.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`;
  const rows = graph.nodes
    .filter((n) => n.name !== root)
    .map((n) => {
      const asked = graph.edges.filter((e) => e.to === n.name).map((e) => html`<li>${e.from} <code>${e.range}</code></li>`);
      return html`<tr><td><a href="${packagePath(n.name)}">${n.name}</a></td><td>${n.version !== null ? html`<a href="${versionPath(n.name, n.version, arch)}">${n.version}</a>` : html`<span class="badge yanked">none fits</span>`}</td><td><ul class="inline">${asked}</ul></td></tr>`;
    });
  return html`${problems}<div class="graph">${graphSvg(graph, arch, root)}</div>
<div class="table-wrap"><table><caption class="visually-hidden">Resolved dependencies</caption><thead><tr><th scope="col">Package</th><th scope="col">Version</th><th scope="col">Required by</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

async function mayYank(deps: AppDeps, viewer: Viewer, namespace: string): Promise<boolean> {
  if (viewer.session === null || (deps.mirror && isMirrored(deps.mirror.config, namespace))) return false;
  try {
    await checkPublish(deps.db, viewer.principal, namespace);
    return true;
  } catch {
    return false;
  }
}

function yankForm(target: PackageTarget, version: string, info: VersionInfo, csrf: string): Html {
  const action = `${versionPath(target.full, version)}/yank`;
  if (info.yanked) {
    return html`<form class="inline" method="post" action="${action}"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="yanked" value="false"><button type="submit">Unyank ${version}</button></form>`;
  }
  return html`<form class="inline" method="post" action="${action}"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="yanked" value="true">
<label for="reason">Reason</label><input id="reason" type="text" name="reason" maxlength="1024" placeholder="why it should not be chosen">
<button type="submit">Yank ${version}</button></form>`;
}

export async function versionPage(deps: AppDeps, viewer: Viewer, target: PackageTarget, version: string, askedArch: string | undefined): Promise<Page> {
  const pkg = await readPackage(deps, viewer.principal, target);
  const info = pkg.versions[version];
  if (!info) throw notFound(`version ${target.full}@${version}`);
  const arch = chooseArch(info, askedArch);
  const row = await findArtifact(deps.db, target.full, version, arch);
  if (!row) throw notFound(`artifact ${target.full}@${version} for ${arch}`);
  const manifest = JSON.parse(row.manifest) as Record<string, unknown>;
  const files = JSON.parse(row.files) as FileIndexEntry[];
  const graph = await resolveClosure({ name: target.full, version, dependencies: info.dependencies }, arch, versionsLoader(deps, viewer.principal));
  const tabs = Object.keys(info.artifacts)
    .sort()
    .map((a) => html`<li><a href="${versionPath(target.full, version, a)}"${a === arch ? html` aria-current="page"` : ''}>${a}</a></li>`);
  const owner = viewer.session !== null && (await mayYank(deps, viewer, target.namespace)) ? yankForm(target, version, info, viewer.session.csrf) : '';
  return {
    title: `${target.full}@${version}`,
    body: html`<p class="crumbs"><a href="/namespaces/${target.namespace}">${target.namespace}</a> / <a href="${packagePath(target.full)}">${target.name}</a> /</p>
<h1>${target.full}@${version} ${pkg.row.private === 1 ? html`<span class="badge private">private</span>` : ''} ${sourceLine(deps, pkg)}</h1>
${info.yanked ? html`<p class="notice"><strong>Yanked</strong>${info.yankReason !== undefined ? html`: ${info.yankReason}` : ''}. Lockfiles that pin it still get it; ranges skip it.</p>` : ''}
${pkg.row.description !== null ? html`<p class="lede">${pkg.row.description}</p>` : ''}
${copyLine('get-line', `uni pkg get ${target.full}@${version}`)}
${owner}
<nav aria-label="Architectures"><ul class="tabs">${tabs}</ul></nav>
<div class="grid two">
<section aria-labelledby="manifest-h">
<h2 id="manifest-h">Manifest</h2>
${manifestFacts(manifest)}
</section>
<aside>
<h2>Artifact</h2>
<dl class="facts">
<dt>Digest</dt><dd><code>${row.digest}</code></dd>
<dt>Size</dt><dd>${formatBytes(row.size)}</dd>
<dt>Published</dt><dd>${formatDate(row.published_at)}</dd>
<dt>Files</dt><dd>${files.length}</dd>
<dt>Download</dt><dd><a href="/v1/blobs/sha256/${row.digest.slice(7)}">archive (.tar.gz)</a></dd>
<dt>Dependencies</dt><dd>${dependencyLinks(info.dependencies)}</dd>
</dl>
</aside>
</div>
<section aria-labelledby="graph-h">
<h2 id="graph-h">Dependency graph for ${arch}</h2>
${graphSection(graph, arch, target.full)}
</section>
<section aria-labelledby="files-h">
<h2 id="files-h">Files</h2>
${fileTree(files)}
</section>`,
  };
}
