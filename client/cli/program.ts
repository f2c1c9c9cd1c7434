import { Command } from 'commander';
import { finishProgram } from '../../protocol/cli.js';
import { DEFAULT_REGISTRY } from '../config.js';
import { registerCommands } from './commands/index.js';

/** Ends every command's help, so that a command added to any group says it as well. */
export const CLIENT_ENVIRONMENT_HELP = `Environment:
  UNI_REGISTRY  the registry to use (--registry overrides it); otherwise config.json's "registry",
                otherwise ${DEFAULT_REGISTRY}
  UNI_TOKEN     the token sent to that registry; otherwise the one \`uni login\` stored for it
  UNI_HOME      config.json and the cache (default ~/.uni)`;

/** The client's commands; bin/uni.js sends serve and mirror to the server's program instead. */
export function buildProgram(): Command {
  const program = new Command('uni')
    .description('unikernel packages: resolve, fetch, verify and merge them into an image manifest')
    .addHelpText(
      'after',
      '\nRegistry commands:\n  serve [options]        run a registry (uni serve --help)\n  mirror sync [options]  copy an upstream registry (uni mirror sync --help)',
    );
  registerCommands(program);
  return finishProgram(program, CLIENT_ENVIRONMENT_HELP);
}
