import { Command, CommanderError } from 'commander';
import { isUniError } from '../../schemas/errors.js';
import { registerCommands } from './commands/index.js';

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('uni')
    .description('unikernel packages: resolve, fetch, verify and merge them into an image manifest')
    .option('--debug', 'print stack traces with errors')
    .addHelpText(
      'after',
      '\nRegistry commands:\n  serve [options]        run a registry (uni serve --help)\n  mirror sync [options]  copy an upstream registry (uni mirror sync --help)',
    )
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const debug = argv.includes('--debug');
    if (isUniError(e)) {
      process.stderr.write(`uni: ${e.message}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = e.code === 'usage' ? EXIT_USAGE : EXIT_FAILURE;
      return;
    }
    const err = e as Error;
    process.stderr.write(`uni: ${err?.message ?? String(e)}\n`);
    if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

await main(process.argv);
