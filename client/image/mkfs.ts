import { spawn } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { UniError } from '../../protocol/errors.js';
import { tempPathFor } from '../cache/atomic.js';
import type { NanosKit } from './nanos-kit.js';

export interface MkfsJob {
  kit: NanosKit;
  /** The nanos tuple (what `uni manifest` prints), given to mkfs on stdin. */
  manifest: string;
  output: string;
  /** mkfs's -s: the file system's size (BaseVolumeSz). */
  size?: string;
  /** mkfs's -l: a volume's label. */
  label?: string;
  /** A volume holds only files: no kernel, no boot sector. */
  volume?: boolean;
}

/** mkfs's arguments: boot sector and kernel for an image (ops's MkfsCommand), a label for a volume. */
export function mkfsArgs(job: MkfsJob, output: string): string[] {
  const args: string[] = [];
  if (!job.volume) {
    if (job.kit.boot !== undefined) args.push('-b', job.kit.boot);
    args.push('-k', job.kit.kernel);
  }
  if (job.label !== undefined) args.push('-l', job.label);
  if (job.size !== undefined) args.push('-s', job.size);
  args.push(output);
  return args;
}

/**
 * Runs nanos's mkfs with the manifest on stdin. It writes beside the output and renames over it
 * only when mkfs succeeded, so that a failed build leaves no half-written image.
 */
export async function runMkfs(job: MkfsJob): Promise<void> {
  const tmp = tempPathFor(job.output);
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(job.kit.mkfs, mkfsArgs(job, tmp), { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', (e) => reject(new UniError('nanos_missing', `cannot run ${job.kit.mkfs}: ${e.message}`)));
      child.on('close', (code) => resolve({ code, output }));
      child.stdin.on('error', () => {
        // mkfs that stops reading early fails with its own message, reported from 'close'
      });
      child.stdin.end(job.manifest);
    });
    if (code !== 0) throw new UniError('mkfs_failed', `${job.kit.mkfs} failed (exit ${code}): ${output.trim() || 'no message'}`);
    renameSync(tmp, job.output);
  } finally {
    rmSync(tmp, { force: true });
  }
}
