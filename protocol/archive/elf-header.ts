/**
 * The few bytes of an ELF header the registry needs to tell which CPU a program is for.
 * Shared with the client's full ELF reader, which builds on the same identification.
 */
export type ElfArch = 'x86_64' | 'aarch64' | 'other';

export interface ElfIdent {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine as found in the header. */
  machine: number;
  arch: ElfArch;
}

/** Bytes needed to identify an ELF file: e_ident (16) + e_type (2) + e_machine (2). */
export const ELF_IDENT_BYTES = 20;

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/** Returns null when `bytes` does not start with an ELF header. */
export function readElfIdent(bytes: Uint8Array): ElfIdent | null {
  if (bytes.length < ELF_IDENT_BYTES) return null;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return null;
  const cls = bytes[4];
  const data = bytes[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return null;
  const littleEndian = data === 1;
  const machine = littleEndian ? bytes[18]! | (bytes[19]! << 8) : (bytes[18]! << 8) | bytes[19]!;
  const arch: ElfArch =
    cls === 2 && machine === EM_X86_64 ? 'x86_64' : cls === 2 && machine === EM_AARCH64 ? 'aarch64' : 'other';
  return { bits: cls === 2 ? 64 : 32, littleEndian, machine, arch };
}

/** A person-readable name of the machine, for error messages. */
export function describeElf(ident: ElfIdent): string {
  if (ident.arch !== 'other') return ident.arch;
  return `ELF${ident.bits} machine ${ident.machine}`;
}
