import type { Command } from 'commander';
import { registerAuthCommands } from './auth.js';
import { registerCacheCommands } from './cache.js';
import { registerImageCommands } from './image.js';
import { registerLockCommand } from './lock.js';
import { registerManifestCommand } from './manifest.js';
import { registerOutdatedCommand } from './outdated.js';
import { registerPackCommands } from './pack.js';
import { registerPkgCommands } from './pkg.js';
import { registerPkgPublishCommands } from './pkg-publish.js';
import { registerPkgRegistryCommands } from './pkg-registry.js';
import { registerTokenCommands } from './token.js';

/**
 * Each command group lives in its own file and adds itself here. `uni pkg ...` is one group
 * that several files add subcommands to.
 */
export function registerCommands(program: Command): void {
  const pkg = program.command('pkg').description('get, inspect, pack and publish packages');
  registerPkgCommands(pkg);
  registerPkgRegistryCommands(pkg);
  registerPkgPublishCommands(pkg);
  registerPackCommands(pkg);
  registerAuthCommands(program);
  registerTokenCommands(program);
  registerCacheCommands(program);
  registerManifestCommand(program);
  registerLockCommand(program);
  registerImageCommands(program);
  registerOutdatedCommand(program);
}
