import { UniError } from '../protocol/errors.js';
import { ARCHES, canonicalName, normalizeRange, normalizeVersion, parseArch, type Arch } from '../protocol/names.js';
import { readJsonFile } from './json-file.js';
import type { PackageSource, PackageVersionInfo } from './types.js';

/**
 * A PackageSource over an index snapshot, so that `uni lock --index FILE` resolves with no
 * registry at all:
 *
 *   {"packages": {"<ns/name>": {"<version>": {"dependencies": {...}, "yanked"?: bool, "arches"?: [..]}}}}
 *
 * Bare names mean `library/`; a version without "arches" has every architecture.
 */
export class IndexSource implements PackageSource {
  private constructor(private readonly packages: Map<string, PackageVersionInfo[]>) {}

  static fromFile(path: string): IndexSource {
    return IndexSource.parse(readJsonFile(path, 'bad_index'), path);
  }

  static parse(data: unknown, what: string): IndexSource {
    const top = object(data, what, 'the document');
    const packages = new Map<string, PackageVersionInfo[]>();
    for (const [rawName, rawVersions] of Object.entries(object(top['packages'], what, '"packages"'))) {
      const where = `packages["${rawName}"]`;
      const name = within(what, where, () => canonicalName(rawName));
      if (packages.has(name)) throw new UniError('bad_index', `${what}: ${where} names ${name} a second time`);
      const versions: PackageVersionInfo[] = [];
      for (const [rawVersion, rawInfo] of Object.entries(object(rawVersions, what, where))) {
        versions.push(versionInfo(rawVersion, rawInfo, what, `${where}["${rawVersion}"]`));
      }
      packages.set(name, versions);
    }
    return new IndexSource(packages);
  }

  async versions(pkg: string): Promise<PackageVersionInfo[]> {
    const versions = this.packages.get(pkg);
    if (!versions) throw new UniError('not_found', `${pkg} is not in the index`, 404);
    return versions;
  }
}

function versionInfo(rawVersion: string, raw: unknown, what: string, where: string): PackageVersionInfo {
  const info = object(raw, what, where);
  for (const key of Object.keys(info)) {
    if (!['dependencies', 'yanked', 'arches'].includes(key)) {
      throw new UniError('bad_index', `${what}: ${where} has an unknown field "${key}" (use dependencies, yanked, arches)`);
    }
  }
  const version = within(what, where, () => normalizeVersion(rawVersion));
  const dependencies: Record<string, string> = {};
  for (const [dep, range] of Object.entries(object(info['dependencies'] ?? {}, what, `${where}.dependencies`))) {
    const at = `${where}.dependencies["${dep}"]`;
    if (typeof range !== 'string') throw new UniError('bad_index', `${what}: ${at} must be a version range string`);
    dependencies[within(what, at, () => canonicalName(dep))] = within(what, at, () => normalizeRange(range));
  }
  const yanked = info['yanked'] ?? false;
  if (typeof yanked !== 'boolean') throw new UniError('bad_index', `${what}: ${where}.yanked must be true or false`);
  let arches: Arch[] = [...ARCHES];
  if (info['arches'] !== undefined) {
    if (!Array.isArray(info['arches'])) throw new UniError('bad_index', `${what}: ${where}.arches must be a list of architectures`);
    arches = info['arches'].map((a: unknown, i) => {
      if (typeof a !== 'string') throw new UniError('bad_index', `${what}: ${where}.arches[${i}] must be a string`);
      return within(what, `${where}.arches[${i}]`, () => parseArch(a));
    });
  }
  return { version, dependencies, yanked, arches };
}

function object(value: unknown, what: string, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UniError('bad_index', `${what}: ${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Re-raises a validation error with the file and the place in it. */
function within<T>(what: string, where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UniError('bad_index', `${what}: ${where}: ${(e as Error).message}`);
  }
}
