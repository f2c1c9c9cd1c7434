/** The qemu command line `uni run` builds, checked against ops's (qemu/qemu_unix.go), and how qemu's exit status becomes the program's. */
import { describe, expect, it } from 'vitest';
import { guestExitCode, parsePort, qemuCommand, shellLine } from '../../client/image/qemu.js';

const BASE = { arch: 'x86_64' as const, image: '/tmp/hello.img', volumes: [], ports: [], kvm: false, memory: '2G' };

/** The value after each occurrence of `flag`. */
function values(args: readonly string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe('qemu command line', () => {
  it('is ops\'s x86 machine: q35, the boot disk on virtio-scsi, isa-debug-exit, user network, serial on stdio', () => {
    const { command, args } = qemuCommand(BASE);
    expect(command).toBe('qemu-system-x86_64');
    expect(values(args, '-machine')).toEqual(['q35']);
    expect(values(args, '-drive')).toEqual(['file=/tmp/hello.img,format=raw,if=none,id=hd0']);
    expect(values(args, '-device')).toEqual([
      'pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x3',
      'pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x3.0x6',
      'pcie-root-port,port=0x12,chassis=3,id=pci.4,bus=pcie.0,addr=0x3.0x4',
      'virtio-scsi-pci,bus=pci.2,addr=0x0,id=scsi0',
      'scsi-hd,bus=scsi0.0,drive=hd0',
      'isa-debug-exit',
      'virtio-rng-pci',
      'virtio-balloon',
      'virtio-net,bus=pci.4,addr=0x0,netdev=n0',
    ]);
    expect(values(args, '-netdev')).toEqual(['user,id=n0']);
    expect(values(args, '-serial')).toEqual(['stdio']);
    expect(values(args, '-display')).toEqual(['none']);
    expect(values(args, '-m')).toEqual(['2G']);
  });

  it('forwards each -p port from 127.0.0.1 only, never every interface', () => {
    const { args } = qemuCommand({ ...BASE, ports: [8080, 6379] });
    expect(values(args, '-netdev')).toEqual(['user,id=n0,hostfwd=tcp:127.0.0.1:8080-:8080,hostfwd=tcp:127.0.0.1:6379-:6379']);
  });

  it('uses KVM with the host CPU when it can, else TCG with the max CPU', () => {
    const kvm = qemuCommand({ ...BASE, kvm: true }).args;
    expect([values(kvm, '-accel'), values(kvm, '-cpu')]).toEqual([['kvm'], ['host']]);
    const tcg = qemuCommand(BASE).args;
    expect([values(tcg, '-accel'), values(tcg, '-cpu')]).toEqual([['tcg'], ['max']]);
  });

  it('attaches volumes as further scsi disks, in order, and sets CPUs when asked', () => {
    const { args } = qemuCommand({ ...BASE, volumes: ['/v/a.raw', '/v/b.raw'], cpus: 2 });
    expect(values(args, '-drive').slice(1)).toEqual(['file=/v/a.raw,format=raw,if=none,id=hd1', 'file=/v/b.raw,format=raw,if=none,id=hd2']);
    expect(values(args, '-device')).toContain('scsi-hd,bus=scsi0.0,drive=hd2');
    expect(values(args, '-smp')).toEqual(['2']);
  });

  it('boots an aarch64 image on virt with its kernel, and refuses one without a kernel', () => {
    const { command, args } = qemuCommand({ ...BASE, arch: 'aarch64', kernel: '/k/kernel.img' });
    expect(command).toBe('qemu-system-aarch64');
    expect(values(args, '-machine')).toEqual(['virt', 'gic-version=2']);
    expect(values(args, '-kernel')).toEqual(['/k/kernel.img']);
    expect(values(args, '-device')).toContain('virtio-blk-pci,drive=hd0');
    expect(() => qemuCommand({ ...BASE, arch: 'aarch64' })).toThrow('an aarch64 image boots with its kernel');
  });

  it('prints a line a shell takes back word for word', () => {
    expect(shellLine('qemu', ['-drive', "file=/tmp/my image's.img", '-m', '2G'])).toBe(`qemu -drive 'file=/tmp/my image'\\''s.img' -m 2G`);
  });
});

describe('ports and exit codes', () => {
  it('takes a port from 1 to 65535 and names what is wrong otherwise', () => {
    expect(parsePort('6379')).toBe(6379);
    for (const bad of ['0', '65536', '80x', '-1', '']) expect(() => parsePort(bad)).toThrow(`-p ${bad}: a port is a number from 1 to 65535`);
  });

  it('turns qemu\'s 2N+1 into N, a power-off into 0, and anything else into a failure', () => {
    expect(guestExitCode(1, null, false)).toBe(0);
    expect(guestExitCode(15, null, false)).toBe(7);
    expect(guestExitCode(0, null, false)).toBe(0);
    expect(() => guestExitCode(1, null, true)).toThrow('qemu failed (exit status 1)');
    expect(() => guestExitCode(2, null, false)).toThrow('qemu failed (exit status 2)');
    expect(() => guestExitCode(null, 'SIGKILL', false)).toThrow('qemu was stopped by SIGKILL');
  });
});
