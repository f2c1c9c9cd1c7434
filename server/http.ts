/** Small HTTP helpers shared by the routes. */
import { createHash } from 'node:crypto';
import { UniError } from '../protocol/errors.js';
import { checkNamePart, normalizeVersion, parseArch, type Arch } from '../protocol/names.js';

export interface PackageTarget {
  namespace: string;
  name: string;
  /** namespace/name */
  full: string;
}

export function packageTarget(ns: string, name: string): PackageTarget {
  checkNamePart(ns, 'namespace');
  checkNamePart(name, 'name');
  return { namespace: ns, name, full: `${ns}/${name}` };
}

export function versionParam(v: string): string {
  return normalizeVersion(v);
}

export function archParam(a: string): Arch {
  return parseArch(a);
}

export function strongEtag(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
}

/** RFC 9110 If-None-Match: a list of tags or `*`; weak tags compare by their opaque part. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function notFound(what: string): UniError {
  return new UniError('not_found', `${what} not found`, 404);
}

/** A positive integer query parameter, bounded; a bad value names the parameter. */
export function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new UniError('bad_request', `query parameter "${name}" must be a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UniError('bad_request', `query parameter "${name}" must be between ${min} and ${max}`);
  return n;
}

export function boolParam(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UniError('bad_request', `query parameter "${name}" must be true or false, not "${value}"`);
}
