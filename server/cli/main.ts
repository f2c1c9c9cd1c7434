/**
 * The server side of the `uni` binary: `uni serve` (and the mirror commands, which register
 * here too). bin/uni.js sends those subcommands to this file.
 */
import { Command, CommanderError } from 'commander';
import { isUniError } from '../../schemas/errors.js';
import { addBlobsServeOption } from './blobs.js';
import { addMirrorServeOptions, mirrorCommand } from './mirror.js';
import { runServe, serveCommand, type ServeOptions } from './serve.js';

export function buildServerProgram(): Command {
  const program = new Command('uni').enablePositionalOptions().exitOverride().configureOutput({ outputError: (str, write) => write(str) });
  program.addCommand(addBlobsServeOption(addMirrorServeOptions(serveCommand())).action((opts: ServeOptions) => runServe(opts)));
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
