import { UniError } from '../../protocol/errors.js';
import type { ImageManifest } from './merge.js';
import type { DirNode, ImageNode } from './tree.js';
import { writeTuple, type Tuple, type TupleValue } from './tuple.js';

/** Names in byte order of their UTF-8 form: the same order on every machine and in both outputs. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function nodeTuple(node: ImageNode): Tuple {
  if (node.kind === 'file') return new Map([['contents', new Map([['host', node.host]])]]);
  if (node.kind === 'symlink') return new Map([['linktarget', node.target]]);
  return new Map([['children', childrenTuple(node)]]);
}

function childrenTuple(dir: DirNode): Tuple {
  return new Map(sortedNames(dir.children.keys()).map((name) => [name, nodeTuple(dir.children.get(name)!)]));
}

/** Every value in a manifest is a string; `t` is how nanos spells true. */
function settingValue(value: unknown, where: string): TupleValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (value === true) return 't';
  if (Array.isArray(value)) return value.map((v, i) => settingValue(v, `${where}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return new Map(Object.entries(value).map(([k, v]) => [k, settingValue(v, `${where}.${k}`)]));
  }
  throw new UniError('bad_config', `${where} is ${JSON.stringify(value)}, which a nanos manifest cannot express; use a string ("t" for true) or leave it out`);
}

function stringTable(table: Record<string, string>): Tuple {
  return new Map(sortedNames(Object.keys(table)).map((k) => [k, table[k]!]));
}

/**
 * The root tuple mkfs reads on stdin: the file tree, then how to run the program, then the
 * boot file system's klibs, mounts and the remaining settings.
 */
export function nanosTuple(m: ImageManifest): Tuple {
  const root: Tuple = new Map<string, TupleValue>([
    ['children', childrenTuple(m.root)],
    ['program', m.program],
    ['arguments', m.arguments],
    ['environment', stringTable(m.environment)],
    ['cwd', m.cwd],
  ]);
  if (m.klibs.length > 0) {
    // The kernel loads klibs from the boot file system when `klibs` is `bootfs`; mkfs builds
    // that file system from the `boot` tuple, as ops lays it out.
    root.set('klibs', 'bootfs');
    const klibFiles = new Map(m.klibs.map((name) => [name, nodeTuple(m.boot.get(name)!)]));
    root.set('boot', new Map([['children', new Map([['klib', new Map([['children', klibFiles]])]])]]));
  }
  if (Object.keys(m.mounts).length > 0) root.set('mounts', stringTable(m.mounts));
  for (const key of sortedNames(Object.keys(m.settings))) root.set(key, settingValue(m.settings[key], `ManifestPassthrough.${key}`));
  return root;
}

export function writeNanosManifest(m: ImageManifest): string {
  return writeTuple(nanosTuple(m));
}
