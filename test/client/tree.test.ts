import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TreeWriter, ensureFolder, removeTree, verifyTree } from '../../client/cache/tree.js';

let dir: string;
let outside: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uni-tree-'));
  outside = join(dir, 'outside');
  mkdirSync(outside);
});

afterEach(() => {
  removeTree(dir);
});

describe('ensureFolder', () => {
  it('creates the missing folders of a path, one component at a time', () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    ensureFolder(root, 'sysroot/usr/lib', 'sysroot/usr/lib/x.so', new Set());
    expect(lstatSync(join(root, 'sysroot/usr/lib')).isDirectory()).toBe(true);
  });

  it('refuses a component that is a symbolic link, and creates nothing through it', () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'sysroot'), { recursive: true });
    symlinkSync(outside, join(root, 'sysroot/R'));
    expect(() => ensureFolder(root, 'sysroot/R/tmp', 'sysroot/R/tmp/evil', new Set())).toThrow(
      /archive entry "sysroot\/R\/tmp\/evil" would be written through "sysroot\/R", which is a symbolic link on this disk/,
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a component that is a regular file', () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'sysroot'), { recursive: true });
    writeFileSync(join(root, 'sysroot/f'), 'x');
    expect(() => ensureFolder(root, 'sysroot/f/g', 'sysroot/f/g/h', new Set())).toThrow(/under "sysroot\/f", which is not a folder/);
  });
});

describe('TreeWriter', () => {
  // On APFS or NTFS the archive's `sysroot/r/tmp/evil` is `sysroot/R/tmp/evil`, which the
  // case-sensitive archive checks let through; the writer sees the same names as here.
  it('refuses a link whose folder goes through a link created before it', async () => {
    const writer = new TreeWriter(join(dir, 'tree'));
    writer.entry({ path: 'sysroot', type: 'dir', mode: 0o755, size: 0 });
    writer.entry({ path: 'sysroot/R', type: 'symlink', mode: 0o777, size: 0, linkTarget: outside });
    writer.entry({ path: 'sysroot/R/tmp/evil', type: 'symlink', mode: 0o777, size: 0, linkTarget: 'x' });
    await expect(writer.finish({ digest: 'sha256:0', name: 'a/b', version: '1.0.0', arch: 'x86_64' }, 'b_1.0.0')).rejects.toThrow(
      /archive entry "sysroot\/R\/tmp\/evil" would be written through "sysroot\/R", which is a symbolic link/,
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(outside, 'tmp'))).toBe(false);
  });
});

describe('verifyTree', () => {
  it('lets timers run while it hashes, as the lock it holds needs its heartbeat', async () => {
    const tree = join(dir, 'tree');
    const writer = new TreeWriter(tree);
    const chunk = randomBytes(1 << 20);
    const chunks = 32;
    const hash = createHash('sha256');
    writer.entry({ path: 'big', type: 'file', mode: 0o644, size: chunks * chunk.length });
    for (let i = 0; i < chunks; i++) {
      writer.onData(chunk);
      hash.update(chunk);
    }
    writer.onEnd({ path: 'big', type: 'file', mode: 0o644, size: chunks * chunk.length, sha256: hash.digest('hex') });
    await writer.finish({ digest: 'sha256:0', name: 'a/b', version: '1.0.0', arch: 'x86_64' }, 'b_1.0.0');
    // Told to let the loop turn after every chunk, so that any machine, however fast, gives a
    // timer due every millisecond its chance while it hashes.
    let beats = 0;
    const heartbeat = setInterval(() => beats++, 1);
    try {
      expect(await verifyTree(tree, 'sha256:0', 0)).toBeNull();
    } finally {
      clearInterval(heartbeat);
    }
    expect(beats).toBeGreaterThan(0);
  });
});
