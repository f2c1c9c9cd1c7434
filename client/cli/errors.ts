import { parseArch, type Arch } from '../../protocol/names.js';
import { userArg } from '../../protocol/cli.js';
import { hostArch } from '../arch.js';

export { EXIT_USAGE, exitCodeOf, messageOf, userArg } from '../../protocol/cli.js';

/** A command's --arch: this machine's architecture when it is not given. */
export function archOption(input: string | undefined): Arch {
  return userArg(parseArch, input) ?? hostArch();
}
