import { readFileSync } from 'node:fs';
import type { PackageDocument } from '../registry/client.js';
import { writeFileAtomic } from './atomic.js';

/** A package document as last answered by the registry, with the ETag to revalidate it. */
export interface CachedDocument {
  etag?: string;
  fetchedAt: string;
  doc: PackageDocument;
}

export function readCachedDoc(path: string): CachedDocument | null {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as CachedDocument;
    return c && typeof c.doc === 'object' && c.doc !== null && typeof c.doc.versions === 'object' ? c : null;
  } catch {
    // Missing or damaged: either way the registry is asked again.
    return null;
  }
}

export function writeCachedDoc(path: string, entry: CachedDocument): void {
  writeFileAtomic(path, JSON.stringify(entry));
}
