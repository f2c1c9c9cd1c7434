/** Option parsers the server-side commands share: commander reports their errors as usage errors (exit 2). */
import { InvalidArgumentError } from 'commander';

export function intArg(what: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}
