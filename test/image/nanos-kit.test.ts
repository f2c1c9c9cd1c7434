/** Finding nanos's kernel, boot image and mkfs, on real folders laid out as a build and as ops keeps releases. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNanosKit } from '../../client/image/nanos-kit.js';
import { mkfsArgs } from '../../client/image/mkfs.js';
import { layFiles, tempDir } from '../merge/helpers.js';

function buildOutput(root: string): string {
  const out = join(root, 'output');
  layFiles(out, {
    'platform/pc/bin/kernel.img': 'kernel',
    'platform/pc/bin/ntp': 'klib',
    'platform/pc/boot/boot.img': 'boot',
    'platform/pc/gitversion.c': 'const sstring gitversion = ss_static_init("b9c3671d9b95cdab590e223b3b01a8f18c09483c");',
    'tools/bin/mkfs': { exec: '#!/bin/sh' },
  });
  return out;
}

describe('finding nanos', () => {
  it('takes a build\'s output folder from --nanos, or its source folder, with the commit as the version', () => {
    const root = tempDir();
    const out = buildOutput(root);
    const kit = findNanosKit({ arch: 'x86_64', dir: out, env: {}, home: root });
    expect(kit).toEqual({
      kernel: join(out, 'platform/pc/bin/kernel.img'),
      boot: join(out, 'platform/pc/boot/boot.img'),
      mkfs: join(out, 'tools/bin/mkfs'),
      klibDir: join(out, 'platform/pc/bin'),
      version: 'b9c3671d9b95cdab590e223b3b01a8f18c09483c',
      from: out,
    });
    expect(findNanosKit({ arch: 'x86_64', env: { NANOS_DIR: root }, home: root }).kernel).toBe(kit.kernel);
  });

  it('takes ops\'s newest release folder, with mkfs from the PATH', () => {
    const home = tempDir();
    for (const v of ['0.1.9', '0.1.52', 'nightly']) layFiles(join(home, '.ops', v), { 'kernel.img': 'k', 'boot.img': 'b', 'klibs/ntp': 'n' });
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'mkfs'), '#!/bin/sh\n');
    chmodSync(join(bin, 'mkfs'), 0o755);
    const kit = findNanosKit({ arch: 'x86_64', env: { PATH: bin }, home });
    expect(kit).toMatchObject({ kernel: join(home, '.ops/0.1.52/kernel.img'), mkfs: join(bin, 'mkfs'), klibDir: join(home, '.ops/0.1.52/klibs'), version: '0.1.52' });
    expect(() => findNanosKit({ arch: 'x86_64', env: { PATH: '' }, home })).toThrow(/\.ops\/0\.1\.52 \(a release folder: mkfs \(nanos tools\/bin\/mkfs\) on the PATH missing\)/);
  });

  it('says where it looked and how to get nanos when nothing is there', () => {
    const home = tempDir();
    expect(() => findNanosKit({ arch: 'x86_64', env: {}, home })).toThrow(
      new RegExp(`no nanos kernel for x86_64: --nanos and NANOS_DIR are not set, and ${home}/.ops \\(no nanos release folder\\)\\. To get it: build nanos from source`),
    );
    expect(() => findNanosKit({ arch: 'x86_64', dir: home, env: {}, home })).toThrow(`--nanos ${home} has no nanos for x86_64: looked in ${home} (a nanos build's output folder:`);
  });

  it('needs no boot image for aarch64, which boots its kernel directly', () => {
    const root = tempDir();
    layFiles(root, { 'platform/virt/bin/kernel.img': 'k', 'tools/bin/mkfs': { exec: 'm' } });
    const kit = findNanosKit({ arch: 'aarch64', dir: root, env: {}, home: root });
    expect(kit.boot).toBeUndefined();
    expect(mkfsArgs({ kit, manifest: '', output: '/o.img' }, '/o.tmp')).toEqual(['-k', kit.kernel, '/o.tmp']);
  });

  it('gives mkfs the boot sector and kernel for an image, only a label for a volume', () => {
    const kit = findNanosKit({ arch: 'x86_64', dir: buildOutput(tempDir()), env: {}, home: '/nonexistent' });
    expect(mkfsArgs({ kit, manifest: '', output: '/o.img', size: '64m' }, '/o.tmp')).toEqual(['-b', kit.boot, '-k', kit.kernel, '-s', '64m', '/o.tmp']);
    expect(mkfsArgs({ kit, manifest: '', output: '/v.raw', label: 'data', volume: true }, '/v.tmp')).toEqual(['-l', 'data', '/v.tmp']);
  });
});
