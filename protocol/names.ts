import semver from 'semver';
import { UniError } from './errors.js';

/** One part of a package name: the namespace or the name. */
export const NAME_PART_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DEFAULT_NAMESPACE = 'library';

export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

const ARCH_ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  x64: 'x86_64',
  aarch64: 'aarch64',
  arm64: 'aarch64',
};

export interface PackageName {
  namespace: string;
  name: string;
  /** `namespace/name`, the canonical spelling used as a key everywhere. */
  full: string;
}

export function parseArch(input: string): Arch {
  const arch = ARCH_ALIASES[input.trim().toLowerCase()];
  if (!arch) {
    throw new UniError('bad_arch', `unknown architecture "${input}": use x86_64 (amd64) or aarch64 (arm64)`);
  }
  return arch;
}

export function checkNamePart(part: string, what: 'namespace' | 'name'): string {
  if (!NAME_PART_RE.test(part)) {
    throw new UniError(
      'bad_name',
      `invalid package ${what} "${part}": it must match ${NAME_PART_RE.source} (lower case letters, digits, '.', '_', '-', at most 64 characters)`,
    );
  }
  return part;
}

/** `redis` is `library/redis`; `acme/app` stays as it is. */
export function parsePackageName(input: string): PackageName {
  const parts = input.split('/');
  if (parts.length > 2) {
    throw new UniError('bad_name', `invalid package name "${input}": use "name" or "namespace/name"`);
  }
  const namespace = checkNamePart(parts.length === 2 ? parts[0]! : DEFAULT_NAMESPACE, 'namespace');
  const name = checkNamePart(parts.length === 2 ? parts[1]! : parts[0]!, 'name');
  return { namespace, name, full: `${namespace}/${name}` };
}

/** Canonical key for a name given in either spelling. */
export function canonicalName(input: string): string {
  return parsePackageName(input).full;
}

/** A published version: Semantic Versioning 2.0.0, a leading `v` dropped. */
export function normalizeVersion(input: string): string {
  const trimmed = input.trim().replace(/^v(?=\d)/, '');
  const v = semver.valid(trimmed);
  if (!v) {
    throw new UniError('bad_version', `invalid version "${input}": it must be a semantic version such as 1.2.3`);
  }
  return v;
}

/**
 * The longest version range taken, as the manifest and config schemas say: semver's parser
 * costs about 2 s per MB, and a range read from an index file or a registry's document is
 * parsed before anything else looks at it.
 */
export const MAX_RANGE_LENGTH = 256;

/** Refuses a range longer than MAX_RANGE_LENGTH before any parser sees it. */
export function checkRangeLength(input: string, what = 'version range'): void {
  if (input.length > MAX_RANGE_LENGTH) {
    throw new UniError('bad_range', `${what} "${input.slice(0, 40)}..." is ${input.length} characters long, more than the limit of ${MAX_RANGE_LENGTH}`);
  }
}

/** A range in npm's syntax; a bare version or a `v`-prefixed one is accepted too. */
export function normalizeRange(input: string): string {
  checkRangeLength(input);
  const trimmed = input.trim();
  const range = semver.validRange(trimmed.replace(/(^|\s|[<>=~^])v(?=\d)/g, '$1'));
  if (range === null) {
    throw new UniError('bad_range', `invalid version range "${input}": use npm's syntax such as ^7, ~3.11.2, >=1.2 <2 or 7.2.x`);
  }
  return trimmed === '' ? '*' : trimmed.replace(/(^|\s|[<>=~^])v(?=\d)/g, '$1');
}

export interface PackageSpec {
  name: PackageName;
  /** npm range syntax; `*` when the spec names no version. */
  range: string;
}

/** ops's and npm's tag `latest` (`eyberg/node:latest`) is the newest version that is not yanked: any. */
function specRange(text: string): string {
  return text.trim() === 'latest' ? '*' : normalizeRange(text);
}

/**
 * What a person types after `uni pkg get`: `redis`, `redis@^7`, `eyberg/node@20`, and ops's
 * spellings `eyberg/node:20.5.0` and `node_20.5.0`.
 */
export function parseSpec(input: string): PackageSpec {
  const at = input.indexOf('@');
  if (at > 0) {
    return { name: parsePackageName(input.slice(0, at)), range: specRange(input.slice(at + 1)) };
  }
  const colon = input.lastIndexOf(':');
  if (colon > 0) {
    return { name: parsePackageName(input.slice(0, colon)), range: specRange(input.slice(colon + 1)) };
  }
  const underscore = input.lastIndexOf('_');
  if (underscore > 0) {
    const maybeVersion = input.slice(underscore + 1).replace(/^v(?=\d)/, '');
    if (semver.valid(maybeVersion)) {
      return { name: parsePackageName(input.slice(0, underscore)), range: maybeVersion };
    }
  }
  return { name: parsePackageName(input), range: '*' };
}

/** The archive's top folder, as ops names it: `<name>_<version>/`. */
export function topFolderName(name: string, version: string): string {
  return `${name}_${version}`;
}
