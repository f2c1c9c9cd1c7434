import { parseArch, type Arch } from '../protocol/names.js';

/** The architecture of the machine `uni` runs on, in the registry's spelling. */
export function hostArch(nodeArch: string = process.arch): Arch {
  return parseArch(nodeArch);
}
