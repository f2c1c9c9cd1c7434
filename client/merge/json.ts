import type { ImageManifest } from './merge.js';
import { sortedNames } from './nanos.js';
import { octalMode, type DirNode, type FileNode, type ImageNode } from './tree.js';

export const IMAGE_MANIFEST_FORMAT = 'unipkg.image-manifest/1';

export type JsonNode =
  | { type: 'file'; host: string; mode: string; size: number; sha256: string; from: string }
  | { type: 'symlink'; target: string; from: string }
  | { type: 'dir'; children: Record<string, JsonNode> };

function fileJson(node: FileNode): JsonNode {
  return {
    type: 'file',
    host: node.host,
    mode: octalMode(node.mode),
    size: node.size,
    sha256: node.sha256,
    from: node.origin.label,
  };
}

function nodeJson(node: ImageNode): JsonNode {
  if (node.kind === 'file') return fileJson(node);
  if (node.kind === 'symlink') return { type: 'symlink', target: node.target, from: node.origin.label };
  return { type: 'dir', children: childrenJson(node) };
}

function childrenJson(dir: DirNode): Record<string, JsonNode> {
  // fromEntries defines own properties, so a file named "__proto__" stays a file.
  return Object.fromEntries(sortedNames(dir.children.keys()).map((name) => [name, nodeJson(dir.children.get(name)!)]));
}

function sortedTable<T>(table: Record<string, T>): Record<string, T> {
  return Object.fromEntries(sortedNames(Object.keys(table)).map((k) => [k, table[k]!]));
}

/** The merged image for builders other than mkfs; protocol/image-manifest.schema.json describes it. */
export function jsonManifest(m: ImageManifest): object {
  return {
    format: IMAGE_MANIFEST_FORMAT,
    arch: m.arch,
    program: m.program,
    arguments: m.arguments,
    environment: sortedTable(m.environment),
    cwd: m.cwd,
    klibs: Object.fromEntries(m.klibs.map((name) => [name, fileJson(m.boot.get(name)!)])),
    mounts: sortedTable(m.mounts),
    settings: sortedTable(m.settings),
    ...(m.baseVolumeSize !== undefined ? { baseVolumeSize: m.baseVolumeSize } : {}),
    packages: m.packages,
    root: { type: 'dir', children: childrenJson(m.root) },
  };
}

export function writeJsonManifest(m: ImageManifest): string {
  return `${JSON.stringify(jsonManifest(m), null, 2)}\n`;
}
