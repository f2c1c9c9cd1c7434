import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';

export interface QemuRun {
  arch: Arch;
  image: string;
  /** aarch64 boots the kernel directly (qemu's -kernel); x86 boots from the image's boot sector. */
  kernel?: string;
  /** Disk images of volumes, attached after the boot disk in this order. */
  volumes: readonly string[];
  /** TCP ports forwarded from 127.0.0.1 on the host to the same port of the guest. */
  ports: readonly number[];
  kvm: boolean;
  memory: string;
  cpus?: number;
}

/** A port as `-p` takes it: 1 to 65535. */
export function parsePort(input: string): number {
  const port = /^\d+$/.test(input) ? Number(input) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UniError('usage', `-p ${input}: a port is a number from 1 to 65535`);
  return port;
}

/**
 * The qemu command line ops builds (qemu/qemu_unix.go, setConfig), with two departures: a
 * forwarded port listens on 127.0.0.1 only (ops's `hostfwd=tcp::P-:P` listens on every
 * interface), and no random MAC, so that the same run is the same command line.
 */
export function qemuCommand(run: QemuRun): { command: string; args: string[] } {
  const args: string[] = [];
  const x86 = run.arch === 'x86_64';
  if (x86) {
    args.push('-machine', 'q35');
    args.push('-device', 'pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x3');
    args.push('-device', 'pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x3.0x6');
    args.push('-device', 'pcie-root-port,port=0x12,chassis=3,id=pci.4,bus=pcie.0,addr=0x3.0x4');
    args.push('-device', 'virtio-scsi-pci,bus=pci.2,addr=0x0,id=scsi0');
    args.push('-device', 'scsi-hd,bus=scsi0.0,drive=hd0');
    args.push('-vga', 'none');
    // nanos writes the program's exit code here when the image has debug_exit; qemu exits with (code << 1) | 1.
    args.push('-device', 'isa-debug-exit');
  } else {
    args.push('-machine', 'virt', '-machine', 'gic-version=2');
    if (run.kernel === undefined) throw new UniError('nanos_missing', 'an aarch64 image boots with its kernel: no kernel.img was given');
    args.push('-kernel', run.kernel);
    args.push('-device', 'virtio-blk-pci,drive=hd0');
    args.push('-semihosting');
  }
  if (run.cpus !== undefined) args.push('-smp', String(run.cpus));
  args.push('-m', run.memory);
  args.push('-device', 'virtio-rng-pci', '-device', 'virtio-balloon');
  args.push('-drive', `file=${run.image},format=raw,if=none,id=hd0`);
  run.volumes.forEach((volume, i) => {
    const id = `hd${i + 1}`;
    args.push('-drive', `file=${volume},format=raw,if=none,id=${id}`);
    args.push('-device', x86 ? `scsi-hd,bus=scsi0.0,drive=${id}` : `virtio-blk-pci,drive=${id}`);
  });
  args.push('-device', x86 ? 'virtio-net,bus=pci.4,addr=0x0,netdev=n0' : 'virtio-net,netdev=n0');
  args.push('-netdev', ['user,id=n0', ...run.ports.map((p) => `hostfwd=tcp:127.0.0.1:${p}-:${p}`)].join(','));
  args.push('-display', 'none', '-serial', 'stdio');
  if (run.kvm) args.push('-accel', 'kvm', '-cpu', 'host');
  else args.push('-accel', 'tcg', '-cpu', 'max');
  return { command: x86 ? 'qemu-system-x86_64' : 'qemu-system-aarch64', args };
}

/** The command line as a shell would take it back: each word quoted when it needs to be. */
export function shellLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The program's exit code from qemu's: with isa-debug-exit, nanos's exit code N makes qemu exit
 * with 2N+1; 0 is a power-off (an image without debug_exit); anything else is qemu failing,
 * which `qemuFailed` (qemu printed an error of its own) tells apart from a program's exit 0.
 */
export function guestExitCode(status: number | null, signal: string | null, qemuFailed: boolean): number {
  if (signal !== null) throw new UniError('qemu_failed', `qemu was stopped by ${signal}`);
  if (status === 0) return 0;
  if (status !== null && status % 2 === 1 && !(status === 1 && qemuFailed)) return status >> 1;
  throw new UniError('qemu_failed', `qemu failed (exit status ${status}); its messages are above`);
}
