import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOCKFILE_NAME } from '../lockfile.js';

/**
 * Whether a command uses uni.lock as it stands: --frozen or --no-frozen when given, else
 * when CI is set (as most CI services do) and the project has a uni.lock, as `npm ci` does:
 * a build must not pick versions nobody committed.
 */
export function isFrozen(option: boolean | undefined, env: NodeJS.ProcessEnv, configPath: string): boolean {
  if (option !== undefined) return option;
  const ci = env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0' && existsSync(join(dirname(configPath), LOCKFILE_NAME));
}
