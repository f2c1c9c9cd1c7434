import { spawn } from 'node:child_process';
import { UniError } from '../../protocol/errors.js';
import { guestExitCode } from './qemu.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Boots qemu with the serial console on this terminal and returns the program's exit code.
 * qemu's own stderr passes through, watched for its error lines: they tell a qemu that failed
 * to start (exit 1) from a program that exited 0 (also 1, through isa-debug-exit). A signal to
 * uni stops qemu, as ops's runner does.
 */
export async function bootQemu(command: string, args: readonly string[]): Promise<number> {
  const child = spawn(command, args, { stdio: ['inherit', 'inherit', 'pipe'] });
  let qemuFailed = false;
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/^qemu-system-\w+: /m.test(text)) qemuFailed = true;
    process.stderr.write(chunk);
  });
  const stop = () => child.kill('SIGTERM');
  for (const s of STOP_SIGNALS) process.on(s, stop);
  try {
    const { status, signal } = await new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', (e) => {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new UniError('qemu_missing', missing ? `${command} is not installed (Debian: apt-get install qemu-system-x86 for x86_64, qemu-system-arm for aarch64)` : `cannot run ${command}: ${e.message}`));
      });
      child.on('close', (status, signal) => resolve({ status, signal }));
    });
    return guestExitCode(status, signal, qemuFailed);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  }
}
