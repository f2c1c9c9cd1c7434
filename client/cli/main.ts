import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT_USAGE, exitCodeOf, messageOf } from './errors.js';

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
    process.stderr.write(`uni: ${messageOf(e)}\n`);
    const stack = (e as Error | undefined)?.stack;
    if (argv.includes('--debug') && stack) process.stderr.write(`${stack}\n`);
    process.exitCode = exitCodeOf(e);
  }
}

await main(process.argv);
