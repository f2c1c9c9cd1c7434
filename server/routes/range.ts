import type { BlobRange } from '../ports.js';

/**
 * One `bytes=` range of RFC 9110 against a blob of `size` bytes. Returns null when the
 * header is absent or not one we honour (several ranges, other units): the whole blob is
 * then sent, as the RFC allows. 'unsatisfiable' answers 416.
 */
export function parseRange(header: string | undefined, size: number): BlobRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
