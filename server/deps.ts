import type { Principal } from './auth/access.js';
import type { ServerConfig } from './config.js';
import type { Mirror } from './mirror/config.js';
import type { BlobSender, BlobStore, Clock, Db } from './ports.js';

/** Everything the app is built from; the entry file (Node or Workers) supplies it. */
export interface AppDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  config: ServerConfig;
  /** Node with a folder store: sends blob bytes without the web-streams round trip. */
  sendBlob?: BlobSender;
  /** Set when this registry mirrors an upstream (docs/mirrors.md). */
  mirror?: Mirror;
}

export type AppEnv = { Variables: { principal: Principal | null } };
