/**
 * An artifact's file index as a folder tree: nested <details>, which browsers open and close
 * with the keyboard and without any script. The top folder starts open.
 */
import type { FileIndexEntry } from '../../protocol/archive/types.js';
import { formatBytes, formatMode, html, type Html } from './html.js';

interface Folder {
  entry?: FileIndexEntry;
  folders: Map<string, Folder>;
  leaves: { name: string; entry: FileIndexEntry }[];
}

function emptyFolder(): Folder {
  return { folders: new Map(), leaves: [] };
}

function build(files: FileIndexEntry[]): Folder {
  const root = emptyFolder();
  for (const entry of files) {
    const parts = entry.path.split('/').filter((p) => p !== '');
    if (parts.length === 0) continue;
    let at = root;
    for (const part of parts.slice(0, -1)) {
      let next = at.folders.get(part);
      if (!next) at.folders.set(part, (next = emptyFolder()));
      at = next;
    }
    const last = parts[parts.length - 1]!;
    if (entry.type === 'dir') {
      const folder = at.folders.get(last) ?? emptyFolder();
      folder.entry = entry;
      at.folders.set(last, folder);
    } else {
      at.leaves.push({ name: last, entry });
    }
  }
  return root;
}

function count(folder: Folder): number {
  let n = folder.leaves.length;
  for (const f of folder.folders.values()) n += count(f);
  return n;
}

function files(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

function leaf(name: string, e: FileIndexEntry): Html {
  const what =
    e.type === 'symlink'
      ? html`<span>${name} <span class="muted">→ ${e.linkTarget ?? ''}</span></span><span class="meta">link</span>`
      : html`<span>${name}</span><span class="meta">${formatBytes(e.size ?? 0)} · ${formatMode(e.mode)}</span>`;
  return html`<li><span class="entry">${what}</span></li>`;
}

function folderItems(folder: Folder, depth: number): Html[] {
  const out: Html[] = [];
  for (const [name, sub] of [...folder.folders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const mode = sub.entry ? html` · ${formatMode(sub.entry.mode)}` : '';
    out.push(
      html`<li><details${depth === 0 ? html` open` : ''}><summary><span class="entry"><span>${name}/</span><span class="meta">${files(count(sub))}${mode}</span></span></summary><ul>${folderItems(sub, depth + 1)}</ul></details></li>`,
    );
  }
  for (const l of folder.leaves.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) out.push(leaf(l.name, l.entry));
  return out;
}

export function fileTree(files: FileIndexEntry[]): Html {
  return html`<ul class="tree" aria-label="Files">${folderItems(build(files), 0)}</ul>`;
}
