/**
 * Reads what the dynamic loader reads from an ELF file: the program interpreter and the
 * dynamic section's needed libraries, search paths and soname. The file is only parsed,
 * never run, and may be hostile: every offset is checked against the file before use.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UniError } from '../../protocol/errors.js';
import { describeElf, ELF_IDENT_BYTES, readElfIdent, type ElfIdent } from '../../protocol/archive/elf-header.js';
import type { Arch } from '../../protocol/names.js';

export interface ElfObject {
  arch: Arch;
  type: 'executable' | 'shared';
  /** PT_INTERP: absent for a static program and for libraries. */
  interpreter?: string;
  /** DT_NEEDED in the order the loader visits them. */
  needed: string[];
  /** DT_RPATH and DT_RUNPATH as written (colon-separated, `$ORIGIN` unexpanded). */
  rpath?: string;
  runpath?: string;
  soname?: string;
  /** DF_1_NODEFLIB: the object asks the loader to skip the cache and the default folders. */
  noDefaultLib: boolean;
}

/** Random access to the bytes of one file, so a 100 MB binary is not read whole. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Buffer;
}

const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PN_XNUM = 0xffff;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_NODEFLIB = 0x800n;
const ELF_TYPE_NAMES: Record<number, string> = { 0: 'an ELF file of no type', 1: 'a relocatable object (.o)', 4: 'a core dump' };
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const DYN_SIZE = 16;
/** Longer than any path the kernel or the loader accepts (PATH_MAX). */
const MAX_STRING = 4096;

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: (offset, length) => buf.subarray(offset, offset + length),
  };
}

class Reader {
  constructor(
    private readonly src: ByteSource,
    private readonly what: string,
  ) {}

  fail(why: string): UniError {
    return new UniError('bad_elf', `${this.what}: malformed ELF file: ${why}`);
  }

  bytes(offset: number, length: number, field: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.src.size) {
      throw this.fail(`${field} lies outside the file (offset ${offset}, ${length} bytes, file ${this.src.size} bytes)`);
    }
    const buf = this.src.read(offset, length);
    if (buf.length !== length) throw this.fail(`${field} could not be read whole`);
    return buf;
  }
}

/** A 64-bit value as a number; values past 2^53 cannot be inside any real file. */
function toNumber(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function u64(buf: Buffer, at: number): number {
  return toNumber(buf.readBigUInt64LE(at));
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** The checks that decide whether the loader would take this file at all. */
export function identify(src: ByteSource, what: string): ElfIdent & { arch: Arch } {
  const ident = src.size >= ELF_IDENT_BYTES ? readElfIdent(src.read(0, ELF_IDENT_BYTES)) : null;
  if (!ident) throw new UniError('not_elf', `${what} is not an ELF file`);
  if (ident.bits !== 64) throw new UniError('unsupported_elf', `${what} is a 32-bit ELF file; only 64-bit programs are supported`);
  if (!ident.littleEndian) throw new UniError('unsupported_elf', `${what} is a big-endian ELF file; only little-endian programs are supported`);
  if (ident.arch === 'other') {
    throw new UniError('unsupported_elf', `${what} is an ${describeElf(ident)} file; only x86_64 and aarch64 are supported`);
  }
  return ident as ElfIdent & { arch: Arch };
}

function readString(table: Buffer, offset: number, r: Reader, field: string): string {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= table.length) {
    throw r.fail(`${field} points outside the string table`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw r.fail(`${field} is not terminated inside the string table`);
  if (end - offset > MAX_STRING) throw r.fail(`${field} is longer than ${MAX_STRING} bytes`);
  return table.toString('utf8', offset, end);
}

/** The file offset of a virtual address, through the PT_LOAD segment that maps it. */
function fileOffsetOf(addr: number, length: number, loads: Segment[], r: Reader, field: string): number {
  for (const s of loads) {
    if (addr >= s.vaddr && addr - s.vaddr + length <= s.filesz) return s.offset + (addr - s.vaddr);
  }
  throw r.fail(`${field} (address 0x${addr.toString(16)}) is not inside any loaded segment`);
}

export function parseElf(src: ByteSource, what: string): ElfObject {
  const { arch } = identify(src, what);
  const r = new Reader(src, what);
  const eh = r.bytes(0, EHDR_SIZE, 'the ELF header');
  const eType = eh.readUInt16LE(16);
  if (eType !== ET_EXEC && eType !== ET_DYN) {
    const kind = ELF_TYPE_NAMES[eType] ?? `an ELF file of type ${eType}`;
    throw new UniError('unsupported_elf', `${what} is ${kind}, neither an executable nor a shared library`);
  }
  const phoff = u64(eh, 32);
  const phentsize = eh.readUInt16LE(54);
  const phnum = eh.readUInt16LE(56);
  if (phnum === PN_XNUM) throw r.fail('has more program headers than the header can count');
  if (phnum > 0 && phentsize < PHDR_SIZE) throw r.fail(`program header size ${phentsize} is smaller than ${PHDR_SIZE}`);
  const table = r.bytes(phoff, phnum * phentsize, 'the program header table');
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    segments.push({ type: table.readUInt32LE(at), offset: u64(table, at + 8), vaddr: u64(table, at + 16), filesz: u64(table, at + 32) });
  }

  const result: ElfObject = { arch, type: eType === ET_EXEC ? 'executable' : 'shared', needed: [], noDefaultLib: false };
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    if (interp.filesz > MAX_STRING) throw r.fail(`the interpreter path is longer than ${MAX_STRING} bytes`);
    const raw = r.bytes(interp.offset, interp.filesz, 'the interpreter path (PT_INTERP)');
    const end = raw.indexOf(0);
    const name = raw.toString('utf8', 0, end < 0 ? raw.length : end);
    if (name === '') throw r.fail('the interpreter path (PT_INTERP) is empty');
    result.interpreter = name;
  }

  const dynSeg = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynSeg) return result;
  const dyn = r.bytes(dynSeg.offset, dynSeg.filesz - (dynSeg.filesz % DYN_SIZE), 'the dynamic section (PT_DYNAMIC)');
  const entries: Array<[bigint, bigint]> = [];
  for (let at = 0; at + DYN_SIZE <= dyn.length; at += DYN_SIZE) {
    const tag = dyn.readBigInt64LE(at);
    if (tag === DT_NULL) break;
    entries.push([tag, dyn.readBigUInt64LE(at + 8)]);
  }
  const value = (tag: bigint): number | undefined => {
    const e = entries.find(([t]) => t === tag);
    return e ? toNumber(e[1]) : undefined;
  };
  const flags1 = entries.find(([t]) => t === DT_FLAGS_1)?.[1] ?? 0n;
  result.noDefaultLib = (flags1 & DF_1_NODEFLIB) !== 0n;

  const usesStrings = entries.some(([t]) => t === DT_NEEDED || t === DT_SONAME || t === DT_RPATH || t === DT_RUNPATH);
  if (!usesStrings) return result;
  const strtabAddr = value(DT_STRTAB);
  const strsz = value(DT_STRSZ);
  if (strtabAddr === undefined || strsz === undefined) throw r.fail('the dynamic section names libraries but has no string table');
  const loads = segments.filter((s) => s.type === PT_LOAD);
  const strtab = r.bytes(fileOffsetOf(strtabAddr, strsz, loads, r, 'the string table (DT_STRTAB)'), strsz, 'the string table (DT_STRTAB)');
  for (const [tag, val] of entries) {
    const off = toNumber(val);
    if (tag === DT_NEEDED) {
      const name = readString(strtab, off, r, 'a DT_NEEDED entry');
      if (name === '') throw r.fail('a DT_NEEDED entry is empty');
      result.needed.push(name);
    } else if (tag === DT_SONAME) result.soname = readString(strtab, off, r, 'DT_SONAME');
    else if (tag === DT_RPATH) result.rpath = readString(strtab, off, r, 'DT_RPATH');
    else if (tag === DT_RUNPATH) result.runpath = readString(strtab, off, r, 'DT_RUNPATH');
  }
  return result;
}

/** Opens `file` and parses it; `what` names it in errors (the guest path, usually). */
export function readElfFile(file: string, what: string = file): ElfObject {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UniError('not_found', `cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    return parseElf(
      {
        size,
        read(offset, length) {
          const buf = Buffer.alloc(length);
          let got = 0;
          while (got < length) {
            const n = readSync(fd, buf, got, length - got, offset + got);
            if (n === 0) break;
            got += n;
          }
          return buf.subarray(0, got);
        },
      },
      what,
    );
  } finally {
    closeSync(fd);
  }
}
