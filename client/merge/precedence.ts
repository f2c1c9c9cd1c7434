import { UniError } from '../../protocol/errors.js';
import type { PassthroughValue } from './config.js';

/** One package's value for a setting. */
export interface Layer<T> {
  /** Canonical package name, for the dependency test. */
  owner: string;
  /** `library/app@1.0.0`, for messages. */
  label: string;
  value: T;
}

/** `dependsOn(a, b)`: package a needs package b, directly or through others. */
export type DependsOn = (dependent: string, dependency: string) => boolean;

/** JSON with keys sorted, so that two tables written in a different order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The value of the package that depends on every other package that disagrees with it. When
 * no package does, the choice would be arbitrary, so it is an error that names two of them.
 */
export function pickLayer<T>(what: string, layers: readonly Layer<T>[], dependsOn: DependsOn): T | undefined {
  if (layers.length === 0) return undefined;
  const keys = layers.map((l) => canonical(l.value));
  if (new Set(keys).size === 1) return layers[0]!.value;
  for (let w = 0; w < layers.length; w++) {
    if (layers.every((l, i) => keys[i] === keys[w] || dependsOn(layers[w]!.owner, l.owner))) return layers[w]!.value;
  }
  let pair: [number, number] = [0, keys.findIndex((k) => k !== keys[0])];
  for (let a = 0; a < layers.length; a++) {
    for (let b = a + 1; b < layers.length; b++) {
      const unrelated = !dependsOn(layers[a]!.owner, layers[b]!.owner) && !dependsOn(layers[b]!.owner, layers[a]!.owner);
      if (keys[a] !== keys[b] && unrelated) pair = [a, b];
    }
  }
  const [x, y] = [layers[pair[0]]!, layers[pair[1]]!];
  throw new UniError(
    'merge_conflict',
    `${what} is ${JSON.stringify(x.value)} in ${x.label} and ${JSON.stringify(y.value)} in ${y.label}, and neither package depends on the other; set ${what} in config.json to choose`,
  );
}

function isTable(v: unknown): v is Record<string, PassthroughValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep merge of tables (Env, Mounts, ManifestPassthrough): the config's value wins outright
 * where it is not a table; tables merge key by key; between packages a dependent wins over
 * its dependency.
 */
export function mergeSetting(
  what: string,
  layers: readonly Layer<PassthroughValue>[],
  config: PassthroughValue | undefined,
  dependsOn: DependsOn,
): PassthroughValue | undefined {
  if (config !== undefined && !isTable(config)) return config;
  const tables = layers.filter((l): l is Layer<Record<string, PassthroughValue>> => isTable(l.value));
  if (config === undefined && tables.length < layers.length) return pickLayer(what, layers, dependsOn);
  if (config === undefined && tables.length === 0) return undefined;
  const keys = new Set<string>();
  for (const t of tables) for (const k of Object.keys(t.value)) keys.add(k);
  for (const k of Object.keys(config ?? {})) keys.add(k);
  const entries: [string, PassthroughValue][] = [];
  for (const key of keys) {
    const below = tables
      .filter((t) => Object.hasOwn(t.value, key))
      .map((t) => ({ owner: t.owner, label: t.label, value: t.value[key]! }));
    const mine = config && Object.hasOwn(config, key) ? (config as Record<string, PassthroughValue>)[key] : undefined;
    const merged = mergeSetting(`${what}.${key}`, below, mine, dependsOn);
    if (merged !== undefined) entries.push([key, merged]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a key.
  return Object.fromEntries(entries);
}
