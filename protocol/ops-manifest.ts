/**
 * package.manifest as ops reads it (Go's encoding/json): keys match whatever their case, a
 * key ops does not know is ignored rather than refused, and a version is any text. uni reads
 * the same files and says what it did with what it does not take as it stands.
 */
import semver from 'semver';
import { UniError } from './errors.js';
import packageManifestSchema from './package-manifest.schema.json' with { type: 'json' };

const KNOWN_KEYS = Object.keys(packageManifestSchema.properties);
const BY_LOWER = new Map(KNOWN_KEYS.map((k) => [k.toLowerCase(), k]));

/** What the image takes from a package besides its files (client/merge). */
export const IMAGE_KEYS = ['Program', 'Args', 'Env', 'Mounts', 'Klibs', 'ManifestPassthrough', 'Debugflags', 'NoTrace', 'RebootOnExit'];

export interface OpsManifestReading {
  /** Known keys in their canonical spelling; unknown keys kept as written. */
  data: Record<string, unknown>;
  /** Known keys only, for the schema. */
  known: Record<string, unknown>;
  notes: string[];
}

/** `1.0` -> `1.0.0`, `20` -> `20.0.0`: versions ops accepts that semver does not; null for anything else. */
function semverOfOpsVersion(text: string): string | null {
  const m = /^v?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  return m ? semver.valid(`${Number(m[1])}.${Number(m[2] ?? 0)}.0`) : null;
}

export function readOpsManifest(raw: unknown): OpsManifestReading {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { data: raw as Record<string, unknown>, known: raw as Record<string, unknown>, notes: [] };
  const data: Record<string, unknown> = {};
  const known: Record<string, unknown> = {};
  const unknown: string[] = [];
  const notes: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const canonical = BY_LOWER.get(key.toLowerCase());
    const name = canonical ?? key;
    if (Object.hasOwn(data, name)) throw new UniError('invalid_manifest', `package.manifest: "${key}" and "${name}" are the same key in two spellings; keep one`);
    data[name] = value;
    if (canonical) known[canonical] = value;
    else unknown.push(key);
  }
  const version = known['Version'];
  if (typeof version === 'string' && semver.valid(version.trim().replace(/^v(?=\d)/, '')) === null) {
    const coerced = semverOfOpsVersion(version);
    if (coerced !== null) {
      known['Version'] = data['Version'] = coerced;
      known['OriginalVersion'] = data['OriginalVersion'] = version;
      notes.push(`package.manifest: Version "${version}" is published as ${coerced}, its semantic-version form; "${version}" is kept as OriginalVersion`);
    }
  }
  if (unknown.length > 0) {
    notes.push(
      `package.manifest: ${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length === 1 ? 'is not a key' : 'are not keys'} uni knows; kept in the package as written, ` +
        `but an image takes only ${IMAGE_KEYS.join(', ')} from a package (besides its files)`,
    );
  }
  return { data, known, notes };
}
