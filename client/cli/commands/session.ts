import { openSession, requireToken, type Session } from '../../registry/session.js';
import { warn } from './output.js';

/**
 * A command's session: its --registry and --offline (online when it has none), warnings to
 * stderr. `tokenFor` names what needs a token, for the commands that change the registry.
 */
export function commandSession(opts: { registry?: string; offline?: boolean }, tokenFor?: string): Session {
  const session = openSession({ env: process.env, registry: opts.registry, offline: opts.offline ?? false, warn });
  if (tokenFor !== undefined) requireToken(session, tokenFor);
  return session;
}
