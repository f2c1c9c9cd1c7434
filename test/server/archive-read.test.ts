import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkArchiveIdentity, readArchive, readElfIdent, type ArchiveEntry } from '../../protocol/archive/index.js';
import { buildPackage, buildTar, gzipTar, hostProgram, programForOtherArch } from '../helpers/archive.js';
import { readFileSync } from 'node:fs';

async function* chunks(buf: Buffer, size = 7000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const top = 'app_1.0.0';
const manifest = JSON.stringify({ Name: 'app', Version: '1.0.0' });

describe('readArchive', () => {
  it('indexes a real package and checks its identity', async () => {
    const archive = await buildPackage({ name: 'app', version: '1.0.0' });
    const contents = await readArchive(chunks(archive));
    expect(contents.topFolder).toBe(top);
    expect(contents.manifest.Program).toBe('/usr/bin/true');
    const program = contents.files.find((f) => f.path === 'sysroot/usr/bin/true')!;
    expect(program).toMatchObject({ type: 'file', mode: 0o755, size: readFileSync(hostProgram().program).length });
    expect(program.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(contents.files.find((f) => f.path === 'sysroot/bin')).toMatchObject({ type: 'symlink', linkTarget: 'usr/bin' });
    expect(contents.packedBytes).toBe(archive.length);
    expect(() => checkArchiveIdentity(contents, { name: 'app', version: '1.0.0', arch: 'x86_64' })).not.toThrow();
    expect(() => checkArchiveIdentity(contents, { name: 'app', version: '1.0.0', arch: 'aarch64' })).toThrow(
      /Program "\/usr\/bin\/true" \(app_1.0.0\/sysroot\/usr\/bin\/true\) is an ELF for x86_64 but the archive is published for aarch64/,
    );
  });

  it('gives a visitor every entry before its bytes, and the bytes in order', async () => {
    const archive = await gzipTar([
      { name: `${top}/`, type: 'directory' },
      { name: `${top}/package.manifest`, content: manifest },
      { name: `${top}/sysroot/a.txt`, content: 'x'.repeat(100_000) },
    ]);
    const events: string[] = [];
    let bytes = 0;
    await readArchive(chunks(archive), {
      visitor: {
        entry: (e: ArchiveEntry) => events.push(`entry ${e.path}`),
        onData: (c) => (bytes += c.length),
        onEnd: (f) => events.push(`end ${f.path} ${f.sha256 ?? ''}`.trim()),
      },
    });
    expect(events[0]).toBe('entry package.manifest');
    expect(events[2]).toBe('entry sysroot/a.txt');
    expect(events[3]).toMatch(/^end sysroot\/a.txt [0-9a-f]{64}$/);
    expect(bytes).toBe(manifest.length + 100_000);
  });

  it('follows a symbolic link Program to the ELF it names', async () => {
    const archive = await gzipTar([
      { name: `${top}/`, type: 'directory' },
      { name: `${top}/package.manifest`, content: JSON.stringify({ Version: 'v1.0.0', Program: `${top}/app` }) },
      { name: `${top}/app`, type: 'symlink', linkname: 'sysroot/opt/app' },
      { name: `${top}/sysroot/opt/app`, content: programForOtherArch() },
    ]);
    const contents = await readArchive(chunks(archive));
    expect(() => checkArchiveIdentity(contents, { name: 'app', version: '1.0.0', arch: 'x86_64' })).toThrow(
      /is an ELF for aarch64/,
    );
  });

  const refusals: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['traversal', () => gzipTar([{ name: `${top}/../evil`, content: 'x' }]), /"app_1.0.0\/..\/evil" contains ".."/],
    ['absolute path', () => gzipTar([{ name: '/etc/passwd', content: 'x' }]), /"\/etc\/passwd" has an absolute path/],
    [
      'link escaping sysroot',
      () => gzipTar([{ name: `${top}/sysroot/x`, type: 'symlink', linkname: '../../../etc/passwd' }]),
      /"app_1.0.0\/sysroot\/x" is a symbolic link to "..\/..\/..\/etc\/passwd", which escapes the top folder/,
    ],
    [
      'link to the top folder',
      () => gzipTar([{ name: `${top}/sysroot/x`, type: 'symlink', linkname: '../README.md' }]),
      /points outside sysroot\//,
    ],
    ['hard link', () => gzipTar([{ name: `${top}/h`, type: 'link', linkname: `${top}/a` }]), /"app_1.0.0\/h" is a hard link/],
    ['device', () => gzipTar([{ name: `${top}/null`, type: 'character-device' }]), /"app_1.0.0\/null" is a character-device/],
    [
      'write through a link',
      () =>
        gzipTar([
          { name: `${top}/sysroot/lib`, type: 'symlink', linkname: '/etc' },
          { name: `${top}/sysroot/lib/passwd`, content: 'x' },
        ]),
      /"app_1.0.0\/sysroot\/lib\/passwd" lies under the symbolic link/,
    ],
    [
      'two top folders',
      () => gzipTar([{ name: `${top}/a`, content: 'x' }, { name: 'other/b', content: 'y' }]),
      /"other\/b" is outside the top folder "app_1.0.0\/"/,
    ],
    ['missing manifest', () => gzipTar([{ name: `${top}/a`, content: 'x' }]), /archive has no app_1.0.0\/package.manifest/],
    [
      'manifest not JSON',
      () => gzipTar([{ name: `${top}/package.manifest`, content: '{nope' }]),
      /app_1.0.0\/package.manifest is not valid JSON/,
    ],
    [
      'manifest against the schema',
      () => gzipTar([{ name: `${top}/package.manifest`, content: JSON.stringify({ Version: '1.0.0', Args: [1] }) }]),
      /package.manifest: field \/Args\/0 must be string/,
    ],
    ['truncated gzip', async () => (await gzipTar([{ name: `${top}/a`, content: 'x'.repeat(50_000) }])).subarray(0, 200), /not a well-formed gzip file.*truncated/],
    ['not gzip', async () => buildTar([{ name: `${top}/a`, content: 'x' }]), /not a well-formed gzip file/],
    [
      'gzip bomb',
      async () => gzipSync(await buildTar([{ name: `${top}/zeros`, content: Buffer.alloc(64 * 1024 * 1024) }]), { level: 9 }),
      /expands more than 200 times its compressed size/,
    ],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what}`, async () => {
      await expect(readArchive(chunks(await make()))).rejects.toThrow(message);
    });
  }

  it('stops at the entry limit', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `${top}/f${i}`, content: 'x' }));
    await expect(readArchive(chunks(await gzipTar(entries)), { limits: { maxEntries: 3 } })).rejects.toThrow(
      /more than 3 entries \(at "app_1.0.0\/f3"\)/,
    );
  });

  it('refuses an unpacked size past the limit from the header alone', async () => {
    const archive = await gzipTar([{ name: `${top}/big`, content: 'x'.repeat(2000) }]);
    await expect(readArchive(chunks(archive), { limits: { maxUnpackedBytes: 1000 } })).rejects.toThrow(
      /unpacks to more than 1000 bytes \(at "app_1.0.0\/big"\)/,
    );
  });
});

/** A tar header block whose type flag is changed after the fact, with its checksum redone. */
function retype(tarBytes: Buffer, headerOffset: number, flag: string): Buffer {
  const out = Buffer.from(tarBytes);
  out.write(flag, headerOffset + 156, 'latin1');
  out.fill(0x20, headerOffset + 148, headerOffset + 156);
  let sum = 0;
  for (let i = headerOffset; i < headerOffset + 512; i += 1) sum += out[i]!;
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, headerOffset + 148, 'latin1');
  return out;
}

describe('readArchive, hostile tar structure', () => {
  const base = [
    { name: `${top}/`, type: 'directory' as const },
    { name: `${top}/package.manifest`, content: manifest },
  ];

  it('refuses an entry of a type tar-stream does not know (GNU sparse "S") instead of reading it as a file', async () => {
    const plain = await buildTar([...base, { name: `${top}/sysroot/sparse`, content: 'x' }]);
    // Header blocks: top folder at 0, manifest at 512, its content at 1024, the file at 1536.
    const archive = gzipSync(retype(plain, 1536, 'S'));
    await expect(readArchive(chunks(archive))).rejects.toThrow(/archive entry "app_1.0.0\/sysroot\/sparse" has an unknown tar entry type/);
  });

  it('refuses many deep paths quickly (each path would store every folder above it)', async () => {
    const deep = Array.from({ length: 200 }, (_, i) => ({ name: `${top}/d${i}/${'a/'.repeat(2030)}`, type: 'directory' as const }));
    const archive = await gzipTar([...base, ...deep]);
    expect(archive.length).toBeLessThan(8 * 1024);
    const started = Date.now();
    await expect(readArchive(chunks(archive))).rejects.toThrow(/archive entry "app_1.0.0\/d0\/a\/a.*" is more than 256 folders deep/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses paths that each pass the depth limit but together cost too much to index', async () => {
    const deep = Array.from({ length: 100 }, (_, i) => ({ name: `${top}/d${i}/${'a/'.repeat(200)}`, type: 'directory' as const }));
    await expect(readArchive(chunks(await gzipTar([...base, ...deep])), { limits: { maxTreeBytes: 1024 * 1024 } })).rejects.toThrow(
      /archive's paths take more than 1048576 bytes to index \(at "app_1.0.0\/d\d+\/a\/a/,
    );
  });

  it('refuses a path longer than maxPathBytes in UTF-8 bytes', async () => {
    const archive = await gzipTar([...base, { name: `${top}/${'é'.repeat(2100)}`, content: 'x' }]);
    await expect(readArchive(chunks(archive))).rejects.toThrow(/has a path longer than 4096 bytes/);
  });

  it('refuses a file name longer than 255 bytes, which no file system could hold, and takes one of 255', async () => {
    const long = `${top}/sysroot/${'é'.repeat(128)}`;
    await expect(readArchive(chunks(await gzipTar([...base, { name: long, content: 'x' }])))).rejects.toThrow(
      `archive entry "${long.slice(0, 80)}..." has a file or folder name longer than 255 bytes ("${'é'.repeat(40)}...")`,
    );
    const fits = await readArchive(chunks(await gzipTar([...base, { name: `${top}/sysroot/${'a'.repeat(255)}`, content: 'x' }])));
    expect(fits.files.map((f) => f.path)).toContain(`sysroot/${'a'.repeat(255)}`);
  });

  it('refuses a package.manifest nested 100,000 levels deep, naming the limit', async () => {
    const nested = `{"Version":"1.0.0","ManifestPassthrough":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const archive = await gzipTar([base[0]!, { name: `${top}/package.manifest`, content: nested }]);
    await expect(readArchive(chunks(archive))).rejects.toMatchObject({
      code: 'invalid_manifest',
      message: `package.manifest: field /ManifestPassthrough${'/a'.repeat(50)}... nests more than 64 levels deep, the limit`,
    });
  });

  const deep = `${top}/sysroot/${Array.from({ length: 20 }, (_, i) => `d${i + 1}`).join('/')}`;
  const climb = { name: `${deep}/b`, type: 'symlink' as const, linkname: '../'.repeat(20) };
  const throughClimb = { name: `${deep}/a`, type: 'symlink' as const, linkname: `b/${'../'.repeat(21)}etc` };

  it('refuses a link that passes the lexical check but, followed through an earlier link, leaves the tree', async () => {
    await expect(readArchive(chunks(await gzipTar([...base, climb, throughClimb])))).rejects.toThrow(
      `archive entry "${deep}/a" is a symbolic link to "b/${'../'.repeat(21)}etc", which, followed through the archive's other links, leaves the top folder`,
    );
  });

  it('refuses the same chain when the link it goes through comes later in the archive', async () => {
    await expect(readArchive(chunks(await gzipTar([...base, throughClimb, climb])))).rejects.toThrow(
      `archive entry "${deep}/a" is a symbolic link to "b/${'../'.repeat(21)}etc", which, followed through the archive's other links, leaves the top folder`,
    );
  });

  it('refuses a chain of links that loops', async () => {
    const loop = [
      { name: `${top}/sysroot/x`, type: 'symlink' as const, linkname: 'y/z' },
      { name: `${top}/sysroot/y`, type: 'symlink' as const, linkname: 'x/z' },
    ];
    await expect(readArchive(chunks(await gzipTar([...base, ...loop])))).rejects.toThrow(
      /archive entry "app_1.0.0\/sysroot\/[xy]" is a symbolic link whose chain of links loops or is more than 40 links long/,
    );
  });

  it('accepts chains of links that stay in sysroot/, relative and absolute', async () => {
    const links = [
      { name: `${top}/sysroot/usr/lib/x86_64/libc.so`, content: 'x' },
      { name: `${top}/sysroot/lib`, type: 'symlink' as const, linkname: 'usr/lib' },
      { name: `${top}/sysroot/lib64`, type: 'symlink' as const, linkname: '/lib/x86_64' },
      { name: `${top}/sysroot/usr/libc`, type: 'symlink' as const, linkname: '../lib64/../x86_64/libc.so' },
      { name: `${top}/sysroot/usr/back`, type: 'symlink' as const, linkname: '../lib/../bin' },
    ];
    const contents = await readArchive(chunks(await gzipTar([...base, ...links])));
    expect(contents.files.filter((f) => f.type === 'symlink')).toHaveLength(4);
  });

  it('accepts a deep but legal archive: 255 folders, many files in the deepest', async () => {
    const dir = `${top}/${'a/'.repeat(254)}`;
    const files = Array.from({ length: 500 }, (_, i) => ({ name: `${dir}f${i}`, content: String(i) }));
    const contents = await readArchive(chunks(await gzipTar([...base, ...files])));
    expect(contents.files).toHaveLength(501);
    expect(contents.tree.typeOf('a/a')).toBe('dir');
  });

  it('refuses a tar without its end-of-archive marker', async () => {
    const tarBytes = await buildTar(base);
    const archive = gzipSync(tarBytes.subarray(0, tarBytes.length - 1024));
    await expect(readArchive(chunks(archive))).rejects.toThrow(/the end-of-archive marker \(two zero blocks\) does not follow its last entry/);
  });

  it('refuses an entry after the end-of-archive marker', async () => {
    const first = await buildTar(base);
    const hidden = await buildTar([{ name: `${top}/sysroot/hidden`, content: 'tar never shows this' }]);
    await expect(readArchive(chunks(gzipSync(Buffer.concat([first, hidden]))))).rejects.toThrow(
      /archive entry "app_1.0.0\/sysroot\/hidden" comes after the tar end-of-archive marker/,
    );
  });

  it('refuses bytes after the end-of-archive marker that tar-stream would skip', async () => {
    const junk = Buffer.alloc(512);
    junk[150] = 0x31; // inside the checksum field: tar-stream still takes the block for a zero one
    await expect(readArchive(chunks(gzipSync(Buffer.concat([await buildTar(base), junk]))))).rejects.toThrow(
      /archive has data after its tar end-of-archive marker/,
    );
  });

  it('accepts the zero padding tar adds to fill its last record', async () => {
    const padded = Buffer.concat([await buildTar(base), Buffer.alloc(10240 - 2048)]);
    await expect(readArchive(chunks(gzipSync(padded), 100))).resolves.toMatchObject({ topFolder: top });
  });
});

describe('readElfIdent', () => {
  it('reads the host program and a patched one', () => {
    expect(readElfIdent(readFileSync(hostProgram().program))?.arch).toBe('x86_64');
    expect(readElfIdent(programForOtherArch())?.arch).toBe('aarch64');
    expect(readElfIdent(Buffer.from('#!/bin/sh\necho hi\n'))).toBeNull();
  });
});
