import { isUniError, UniError } from '../../schemas/errors.js';
import { parseArch, type Arch } from '../../schemas/names.js';
import { hostArch } from '../arch.js';

/** Exit codes: 0 ok, 1 failure, 2 usage. */
const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeOf(e: unknown): number {
  return isUniError(e) && e.code === 'usage' ? EXIT_USAGE : EXIT_FAILURE;
}

export function messageOf(e: unknown): string {
  return (e as Error | undefined)?.message ?? String(e);
}

/**
 * Parses what the person typed (an argument or an option's value); when it does not parse,
 * they typed it wrong, which is a usage error. The same parsers' codes (bad_arch, bad_name,
 * bad_range, ...) also come from lockfiles and registry answers, where they are failures, so
 * this conversion is made here, where the command reads its arguments, and never in main.ts.
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

/** A command's --arch: this machine's architecture when it is not given. */
export function archOption(input: string | undefined): Arch {
  return userArg(parseArch, input) ?? hostArch();
}
