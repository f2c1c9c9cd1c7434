import { UniError } from '../../protocol/errors.js';
import { canonicalName, normalizeRange } from '../../protocol/names.js';
import { validateWith } from '../../protocol/validate.js';
import { readJsonFile } from '../json-file.js';
import projectConfigSchema from '../../protocol/project-config.schema.json' with { type: 'json' };

export type PassthroughValue = string | number | PassthroughValue[] | { [key: string]: PassthroughValue };

/** A project's config.json, keys in their canonical spelling, package names canonical. */
export interface ProjectConfig {
  Program?: string;
  Args?: string[];
  Env?: Record<string, string>;
  Dirs?: string[];
  Files?: string[];
  MapDirs?: Record<string, string>;
  Mounts?: Record<string, string>;
  Klibs?: string[];
  KlibDir?: string;
  ManifestPassthrough?: Record<string, PassthroughValue>;
  Debugflags?: string[];
  NoTrace?: string[];
  RebootOnExit?: boolean;
  BaseVolumeSz?: string;
  LocalFilesParentDirectory?: string;
  Dependencies?: Record<string, string>;
  Overrides?: Record<string, string>;
  NameServers?: string[];
  [opsOnly: string]: unknown;
}

/** The canonical spellings, in the schema's order; the schema is the one list of keys. */
export const CONFIG_KEYS: readonly string[] = Object.keys(projectConfigSchema.properties);

const BY_LOWER = new Map(CONFIG_KEYS.map((k) => [k.toLowerCase(), k]));

/** Levenshtein distance, for "did you mean" on a misspelt key. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function nearestKey(key: string, known: readonly string[] = CONFIG_KEYS): string {
  const lower = key.toLowerCase();
  let best = known[0]!;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * ops reads config.json with Go's encoding/json, which matches keys without regard to case;
 * so does this. Unlike Go, an unknown key is an error: a misspelt `MapDir` silently ignored
 * is an image without the user's files.
 */
export function parseProjectConfig(data: unknown, what = 'config.json'): ProjectConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UniError('bad_config', `${what}: the document must be a JSON object`);
  }
  const canonical: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  for (const [key, value] of Object.entries(data)) {
    const known = BY_LOWER.get(key.toLowerCase());
    if (!known) {
      throw new UniError('bad_config', `${what}: unknown key "${key}" (did you mean "${nearestKey(key)}"?)`);
    }
    const earlier = spelledAs.get(known);
    if (earlier !== undefined) {
      throw new UniError('bad_config', `${what}: keys "${earlier}" and "${key}" are the same key ${known}; keep one`);
    }
    spelledAs.set(known, key);
    canonical[known] = value;
  }
  const config = validateWith<ProjectConfig>(projectConfigSchema, canonical, what, 'bad_config');
  if (config.Dependencies) config.Dependencies = canonicalRanges(config.Dependencies, `${what}: Dependencies`);
  if (config.Overrides) config.Overrides = canonicalRanges(config.Overrides, `${what}: Overrides`);
  return config;
}

function canonicalRanges(ranges: Record<string, string>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, range] of Object.entries(ranges)) {
    const full = canonicalName(name);
    if (full in out) throw new UniError('bad_config', `${where}: "${name}" names ${full} a second time`);
    try {
      out[full] = normalizeRange(range);
    } catch (e) {
      throw new UniError('bad_config', `${where}: ${full}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function readProjectConfig(path: string): ProjectConfig {
  return parseProjectConfig(readJsonFile(path, 'bad_config'), path);
}
