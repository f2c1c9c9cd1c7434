/**
 * The first admin token. `UNI_ADMIN_TOKEN` registers the token it holds (automation, tests)
 * and retires the one an earlier start registered that way; without it, a registry with no
 * token at all makes one and hands it back to be printed once.
 */
import { UniError } from '../../schemas/errors.js';
import type { Clock, Db } from '../ports.js';
import { countTokens, findTokenByHash, insertToken, revokeNamedExcept } from '../store/tokens.js';
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
