import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UniError } from '../../protocol/errors.js';
import { bufferSource, parseElf, readElfFile } from '../../client/elf/reader.js';
import { cc } from './ldd.js';

const MAIN = 'int main(void){return 0;}';
const dir = mkdtempSync(path.join(tmpdir(), 'uni-elf-reader-'));
let prog = '';
beforeAll(() => {
  prog = cc(path.join(dir, 'prog'), MAIN, ['-lm', '-Wl,--no-as-needed', '-lm', '-Wl,-rpath,$ORIGIN/../lib', '-Wl,--disable-new-dtags']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(buf: Buffer) {
  return parseElf(bufferSource(buf), 'test.elf');
}

/** A copy of a real binary with one field changed, as a damaged or hostile file would be. */
function patched(file: string, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(readFileSync(file));
  edit(b);
  return b;
}

describe('ELF reader', () => {
  it('reads the interpreter, needed libraries and run path of a real program', () => {
    const elf = readElfFile(prog);
    expect(elf.arch).toBe(process.arch === 'arm64' ? 'aarch64' : 'x86_64');
    expect(elf.interpreter).toMatch(/^\/lib.*\/ld-linux-(x86-64|aarch64)\.so\.[12]$/);
    expect(elf.needed).toContain('libc.so.6');
    expect(elf.needed).toContain('libm.so.6');
    expect(elf.rpath).toBe('$ORIGIN/../lib');
    expect(elf.runpath).toBeUndefined();
  });

  it('reads RUNPATH and SONAME of a shared library', () => {
    const lib = cc(path.join(dir, 'libx.so'), 'int x(void){return 1;}', ['-shared', '-fPIC', '-Wl,-soname,libx.so.7', '-Wl,-rpath,/opt/x', '-Wl,--enable-new-dtags']);
    const elf = readElfFile(lib);
    expect(elf.type).toBe('shared');
    expect(elf.soname).toBe('libx.so.7');
    expect(elf.runpath).toBe('/opt/x');
    expect(elf.interpreter).toBeUndefined();
  });

  it('reads a static program as one with no interpreter and no libraries', () => {
    for (const flag of ['-static', '-static-pie']) {
      const elf = readElfFile(cc(path.join(dir, `static${flag}`), MAIN, [flag]));
      expect(elf.interpreter).toBeUndefined();
      expect(elf.needed).toEqual([]);
    }
  });

  it('refuses files that are not 64-bit little-endian x86_64/aarch64 ELF, naming the reason', () => {
    expect(() => parse(Buffer.from('#!/bin/sh\necho hi\n'))).toThrow(/test\.elf is not an ELF file/);
    expect(() => parse(Buffer.alloc(0))).toThrow(/not an ELF file/);
    expect(() => parse(patched(prog, (b) => (b[4] = 1)))).toThrow(/32-bit ELF/);
    expect(() => parse(patched(prog, (b) => (b[5] = 2)))).toThrow(/big-endian/);
    expect(() => parse(patched(prog, (b) => b.writeUInt16LE(3, 18)))).toThrow(/machine 3.*only x86_64 and aarch64/);
    expect(() => parse(patched(prog, (b) => b.writeUInt16LE(1, 16)))).toThrow(/relocatable object/);
  });

  it('takes the architecture from e_machine, whatever the host is', () => {
    const elf = parse(patched(prog, (b) => b.writeUInt16LE(183, 18)));
    expect(elf.arch).toBe('aarch64');
    expect(elf.needed).toContain('libc.so.6');
  });

  it('refuses truncated and hostile files with a bad_elf error instead of reading out of bounds', () => {
    const bytes = readFileSync(prog);
    const phoff = Number(bytes.readBigUInt64LE(32));
    const cases: Array<[string, Buffer, RegExp]> = [
      ['truncated header', bytes.subarray(0, 40), /ELF header lies outside/],
      ['truncated program headers', bytes.subarray(0, phoff + 10), /program header table lies outside/],
      ['program headers far away', patched(prog, (b) => b.writeBigUInt64LE(0xffffffffffffff00n, 32)), /program header table/],
      ['tiny program header size', patched(prog, (b) => b.writeUInt16LE(8, 54)), /program header size 8/],
      ['PN_XNUM', patched(prog, (b) => b.writeUInt16LE(0xffff, 56)), /more program headers/],
    ];
    for (const [what, buf, msg] of cases) {
      expect(() => parse(buf), what).toThrow(msg);
    }
  });

  it('answers any damage to a real program with a result or a UniError, never a crash or an out-of-bounds read', () => {
    const bytes = readFileSync(prog);
    const phoff = Number(bytes.readBigUInt64LE(32));
    const phnum = bytes.readUInt16LE(56);
    const dyn = [...Array(phnum).keys()].map((i) => phoff + i * 56).find((at) => bytes.readUInt32LE(at) === 2)!;
    const dynOff = Number(bytes.readBigUInt64LE(dyn + 8));
    const dynSize = Number(bytes.readBigUInt64LE(dyn + 32));
    // Damage aimed where the reader looks: the ELF header, the program headers, the dynamic section.
    const where = fc.oneof(
      fc.nat(63),
      fc.integer({ min: phoff, max: phoff + phnum * 56 - 1 }),
      fc.integer({ min: dynOff, max: dynOff + dynSize - 1 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: where, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(bytes.length), { nil: undefined }),
        (edits, cut) => {
          const b = Buffer.from(bytes.subarray(0, cut ?? bytes.length));
          for (const e of edits) if (e.at < b.length) b[e.at] = e.value;
          try {
            parse(b);
          } catch (err) {
            expect(err).toBeInstanceOf(UniError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a dynamic section whose string table or strings point outside the file', () => {
    const file = prog;
    const bytes = readFileSync(file);
    const phoff = Number(bytes.readBigUInt64LE(32));
    const phnum = bytes.readUInt16LE(56);
    let dynOff = -1;
    let dynSize = 0;
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * 56;
      if (bytes.readUInt32LE(at) === 2) {
        dynOff = Number(bytes.readBigUInt64LE(at + 8));
        dynSize = Number(bytes.readBigUInt64LE(at + 32));
      }
    }
    expect(dynOff).toBeGreaterThan(0);
    const entryAt = (tag: bigint): number => {
      for (let at = dynOff; at < dynOff + dynSize; at += 16) if (bytes.readBigInt64LE(at) === tag) return at;
      throw new Error(`no tag ${tag}`);
    };
    const strtab = entryAt(5n);
    const needed = entryAt(1n);
    expect(() => parse(patched(file, (b) => b.writeBigUInt64LE(0x7fff0000n, strtab + 8)))).toThrow(/string table \(DT_STRTAB\).*not inside any loaded segment/);
    expect(() => parse(patched(file, (b) => b.writeBigUInt64LE(0xffffffn, needed + 8)))).toThrow(/DT_NEEDED entry points outside the string table/);
    expect(() => parse(patched(file, (b) => b.writeBigUInt64LE(1n << 62n, entryAt(10n) + 8)))).toThrow(/string table \(DT_STRTAB\).*not inside any loaded segment/);
  });
});
