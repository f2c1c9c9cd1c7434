import { UniError } from '../../protocol/errors.js';
import { cacheLayout, type CacheLayout } from '../cache/layout.js';
import { ensureHome, loadConfig, type UniConfig } from '../config.js';
import { RegistryClient } from './client.js';
import { RegistrySource } from './source.js';

/** What a registry command works with: the config, the cache, and the registry behind them. */
export interface Session {
  config: UniConfig;
  layout: CacheLayout;
  client: RegistryClient;
  source: RegistrySource;
  offline: boolean;
  /** Where notes and warnings go (stderr in the CLI). */
  warn: (message: string) => void;
}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  registry?: string;
  offline?: boolean;
  warn: (message: string) => void;
}

export function openSession(opts: SessionOptions): Session {
  const config = loadConfig(opts.env, opts.registry);
  if (config.token && sendsInClear(config.registry)) {
    opts.warn(`the token is sent to ${config.registry} over plain http, where anyone on the way can read it; use https`);
  }
  ensureHome(config.home);
  const layout = cacheLayout(config.home);
  const client = new RegistryClient({ baseUrl: config.registry, ...(config.token ? { token: config.token } : {}) });
  const offline = opts.offline ?? false;
  const source = new RegistrySource({ client, layout, offline, warn: opts.warn });
  return { config, layout, client, source, offline, warn: opts.warn };
}

/** Plain http leaves this machine unless the host is loopback. */
function sendsInClear(registry: string): boolean {
  const { protocol, hostname } = new URL(registry);
  return protocol === 'http:' && hostname !== 'localhost' && hostname !== '[::1]' && !/^127\./.test(hostname);
}

/** Commands that change the registry need a token; say how to get one rather than sending an anonymous request. */
export function requireToken(session: Session, what: string): void {
  if (!session.config.token) {
    throw new UniError('unauthorized', `${what} needs a token for ${session.config.registry}: run \`uni login\` or set UNI_TOKEN`, 401);
  }
}
