import type { Command } from 'commander';

/**
 * Each command group lives in its own file and adds itself here. `uni pkg ...` is one group
 * that several files add subcommands to.
 */
export function registerCommands(program: Command): void {
  const pkg = program.command('pkg').description('get, inspect, pack and publish packages');
  void pkg;
}
