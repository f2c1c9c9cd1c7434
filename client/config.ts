import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UniError } from '../protocol/errors.js';
import { writeFileAtomic } from './cache/atomic.js';

/** `npm start` serves the registry here; a company registry is set with UNI_REGISTRY or `uni login`. */
export const DEFAULT_REGISTRY = 'http://127.0.0.1:7878';

/** What ~/.uni/config.json holds. Tokens are kept per registry so that switching registries never sends one to the other. */
export interface ConfigFile {
  registry?: string;
  registries?: Record<string, { token?: string }>;
}

export interface UniConfig {
  /** UNI_HOME, default ~/.uni: the config file and the cache live here. */
  home: string;
  configPath: string;
  registry: string;
  token?: string;
  file: ConfigFile;
}

/** `https://reg.example/` and `https://reg.example` are one registry. */
export function normalizeRegistryUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UniError('usage', `invalid registry URL "${input}": use a full URL such as https://registry.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UniError('usage', `invalid registry URL "${input}": only http and https are supported`);
  }
  return url.toString().replace(/\/+$/, '');
}

export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not an object');
    return data as ConfigFile;
  } catch (e) {
    throw new UniError('bad_config', `${path} is not valid JSON (${(e as Error).message}); fix or delete it`);
  }
}

/**
 * Environment first (UNI_HOME, UNI_REGISTRY, UNI_TOKEN), then the config file, then defaults.
 * `registryOverride` is a command's --registry.
 */
export function loadConfig(env: NodeJS.ProcessEnv, registryOverride?: string, home = homedir()): UniConfig {
  const uniHome = env['UNI_HOME'] || join(home, '.uni');
  const configPath = join(uniHome, 'config.json');
  const file = readConfigFile(configPath);
  const registry = normalizeRegistryUrl(registryOverride || env['UNI_REGISTRY'] || file.registry || DEFAULT_REGISTRY);
  const token = env['UNI_TOKEN'] || file.registries?.[registry]?.token;
  return { home: uniHome, configPath, registry, ...(token ? { token } : {}), file };
}

/** UNI_HOME holds tokens and what the user downloaded: no other local user may read it. */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
}

/** Stores (or, with `token` undefined, forgets) the token of one registry. The file is 0600: it holds secrets. */
export function saveToken(configPath: string, registry: string, token: string | undefined): void {
  ensureHome(dirname(configPath));
  const file = readConfigFile(configPath);
  const registries = { ...(file.registries ?? {}) };
  if (token === undefined) delete registries[registry];
  else registries[registry] = { ...(registries[registry] ?? {}), token };
  writeFileAtomic(configPath, `${JSON.stringify({ ...file, registries }, null, 2)}\n`, 0o600);
}
