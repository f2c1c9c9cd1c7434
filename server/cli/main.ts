/**
 * The server side of the `uni` binary: `uni serve` (and the mirror commands, which register
 * here too). bin/uni.js sends those subcommands to this file.
 */
import { Command, CommanderError } from 'commander';
import { isUniError } from '../../schemas/errors.js';
import { addBlobsServeOption } from './blobs.js';
import { addMirrorServeOptions, mirrorCommand } from './mirror.js';
import { scrubCommand } from './scrub.js';
import { runServe, serveCommand, type ServeOptions } from './serve.js';

export function buildServerProgram(): Command {
  // Positional: `uni serve scrub --data D` gives --data to scrub, not to serve.
  const program = new Command('uni').exitOverride().enablePositionalOptions().configureOutput({ outputError: (str, write) => write(str) });
  const serve = addBlobsServeOption(addMirrorServeOptions(serveCommand())).action((opts: ServeOptions) => runServe(opts));
  serve.enablePositionalOptions().addCommand(scrubCommand());
  program.addCommand(serve);
  program.addCommand(mirrorCommand());
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildServerProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`uni: ${isUniError(e) ? e.message : ((e as Error)?.stack ?? String(e))}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
