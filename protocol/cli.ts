/**
 * What both halves of the `uni` binary (client/cli and server/cli) do with a failure: print
 * the message (the stack only with --debug) and exit 1, or 2 for a usage error. A system
 * error (ENOENT, EACCES, ...) keeps Node's message, which names the path, rather than a stack.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseDuration } from './duration.js';
import { isUniError, UniError } from './errors.js';

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeOf(e: unknown): number {
  return isUniError(e) && e.code === 'usage' ? EXIT_USAGE : EXIT_FAILURE;
}

export function messageOf(e: unknown): string {
  return (e as Error | undefined)?.message ?? String(e);
}

/** Prints the failure on stderr and sets the exit code; the stack only when argv has --debug. */
export function reportFailure(e: unknown, argv: readonly string[]): void {
  process.stderr.write(`uni: ${messageOf(e)}\n`);
  const stack = (e as Error | undefined)?.stack;
  if (argv.includes('--debug') && stack) process.stderr.write(`${stack}\n`);
  process.exitCode = exitCodeOf(e);
}

/**
 * Parses what the person typed (an argument or an option's value); when it does not parse,
 * they typed it wrong, which is a usage error. The same parsers' codes (bad_arch, bad_name,
 * bad_range, bad_config ...) also come from lockfiles, config files and registry answers,
 * where they are failures, so this conversion is made where a command reads its arguments.
 * An option that was not given stays undefined.
 */
export function userArg<T>(parse: (input: string) => T, input: string): T;
export function userArg<T>(parse: (input: string) => T, input: string | undefined): T | undefined;
export function userArg<T>(parse: (input: string) => T, input: string | undefined): T | undefined {
  if (input === undefined) return undefined;
  try {
    return parse(input);
  } catch (e) {
    if (!isUniError(e)) throw e;
    throw new UniError('usage', e.message);
  }
}

/** The project's version, from package.json at the root (one level above protocol/, two above dist/protocol/). */
export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'unipkg' && pkg.version) return pkg.version;
    } catch {
      // Not at this level: the other one is tried.
    }
  }
  throw new Error('cannot find the package.json of unipkg next to the code');
}

/** Every command of the tree, the program first: what one setting applied to all reaches. */
export function everyCommand(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => everyCommand(c))];
}

/**
 * The settings every command of a program shares, applied after all commands are registered
 * so that commands added later by any file get them too: errors come back to runProgram
 * instead of exiting, `--debug`, and each command's help ends with the environment it reads.
 */
export function finishProgram(program: Command, environmentHelp: string): Command {
  // Positional: `uni --version` is the program's, `uni pkg from-binary --version 1.0` the command's.
  program.version(packageVersion(), '-V, --version', 'print the version of uni').enablePositionalOptions();
  for (const cmd of everyCommand(program)) {
    cmd.option('--debug', 'print stack traces with errors');
    // Commander's own output settings stay: `uni lock --json` turns its errors into JSON.
    cmd.exitOverride();
    cmd.addHelpText('after', `\n${environmentHelp}`);
  }
  return program;
}

/**
 * A reader that stops early (`uni --help | head -3`) closes the pipe; what was left to print
 * has no one to read it, so the process ends quietly instead of dying on EPIPE with a stack.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      process.exitCode = EXIT_FAILURE;
    });
  }
}

/** Runs the program on argv: a usage error exits 2, a failure 1 with its message. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  endQuietlyOnClosedPipe();
  try {
    // `uni help pkg get` is `uni pkg get --help` at any depth (commander's own help command stops at one level).
    const [node, script, first, ...rest] = argv;
    const asksHelp = first === 'help' && program.commands.some((c) => c.name() === rest[0]);
    await program.parseAsync(asksHelp ? [node!, script!, ...rest, '--help'] : argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    reportFailure(e, argv);
  }
}

/** An option's parser for a whole number in [min, max]; commander reports a refusal as a usage error. */
export function intArg(what: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

/** An option's parser for a duration (protocol/duration.ts), in milliseconds. */
export function durationArg(what: string): (value: string) => number {
  return (value: string): number => {
    try {
      return parseDuration(value, what);
    } catch (e) {
      throw new InvalidArgumentError(messageOf(e));
    }
  };
}
