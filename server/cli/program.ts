/** The server side of the `uni` binary: `uni serve` and the mirror commands, which register here too. */
import { Command } from 'commander';
import { finishProgram } from '../../protocol/cli.js';
import { addBlobsServeOption } from './blobs.js';
import { addMirrorServeOptions, mirrorCommand } from './mirror.js';
import { runServe, serveCommand, SERVE_DEFAULT_URL, type ServeOptions } from './serve.js';

/** Ends every command's help, as the client's environment note ends its commands'. */
const SERVER_ENVIRONMENT_HELP = `Environment:
  UNI_ADMIN_TOKEN  serve: registers this admin token at start (otherwise the first start prints one)
  UNI_HOME         mirror sync --registry: holds the feed position (default ~/.uni)
  The client's default registry is ${SERVE_DEFAULT_URL}, where \`uni serve\` listens by default.`;

export function buildServerProgram(): Command {
  const program = new Command('uni');
  program.addCommand(addBlobsServeOption(addMirrorServeOptions(serveCommand())).action((opts: ServeOptions) => runServe(opts)));
  program.addCommand(mirrorCommand());
  return finishProgram(program, SERVER_ENVIRONMENT_HELP);
}

