/**
 * The first admin token. `UNI_ADMIN_TOKEN` registers the token it holds (automation, tests)
 * and retires the one an earlier start registered that way; without it, a registry with no
 * token at all makes one and hands it back to be printed once.
 */
import { UniError } from '../../protocol/errors.js';
import type { Clock, Db } from '../ports.js';
import { countTokens, findTokenByHash, insertToken, revokeNamedExcept, revokeTokenTree } from '../store/tokens.js';
import { generateToken, generateTokenId, hashToken } from './tokens.js';

export const ENV_ADMIN_NAME = 'UNI_ADMIN_TOKEN';
export const ADMIN_OWNER = 'admin';

export async function bootstrapAdmin(db: Db, clock: Clock, envToken: string | undefined): Promise<{ generated?: string }> {
  const at = clock.now().toISOString();
  const admin = (token: string, name: string) => ({
    id: generateTokenId(),
    hash: hashToken(token),
    name,
    owner: ADMIN_OWNER,
    scopes: ['admin' as const],
    namespace: null,
    createdAt: at,
    expiresAt: null,
    createdBy: null,
  });
  if (envToken !== undefined && envToken !== '') {
    if (envToken.length < 16 || /\s/.test(envToken)) {
      throw new UniError('bad_config', `${ENV_ADMIN_NAME} must be at least 16 characters without spaces`);
    }
    const hash = hashToken(envToken);
    if (!(await findTokenByHash(db, hash))) await insertToken(db, admin(envToken, ENV_ADMIN_NAME));
    await revokeNamedExcept(db, ENV_ADMIN_NAME, hash, at);
    return {};
  }
  if ((await countTokens(db)) > 0) return {};
  const generated = generateToken();
  await insertToken(db, admin(generated, 'first admin'));
  return { generated };
}

const SEED_TOKEN_MS = 60 * 60 * 1000;

/**
 * The token `uni serve --seed-from-host` publishes the seed with: its own, so that seeding
 * does not depend on the admin token being shown (a start whose seed was cut short seeds on
 * the next start, when the first admin token exists and is not known any more). It expires
 * within the hour and is revoked as soon as the seed ends.
 */
export async function seedToken(db: Db, clock: Clock): Promise<{ token: string; revoke(): Promise<void> }> {
  const now = clock.now();
  const token = generateToken();
  const id = generateTokenId();
  await insertToken(db, {
    id,
    hash: hashToken(token),
    name: 'host seed',
    owner: ADMIN_OWNER,
    scopes: ['admin'],
    namespace: null,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + SEED_TOKEN_MS).toISOString(),
    createdBy: null,
  });
  return { token, revoke: () => revokeTokenTree(db, id, clock.now().toISOString()) };
}
