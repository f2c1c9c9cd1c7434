import { UniError } from '../../protocol/errors.js';

const DIGEST_RE = /^sha256:([0-9a-f]{64})$/;

/** The hex part of `sha256:<hex>`; refuses anything else, so it is safe in a key or path. */
export function digestHex(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new UniError('bad_digest', `invalid digest "${digest}": expected sha256:<64 hex digits>`);
  return m[1]!;
}
