import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { archOption, userArg } from '../errors.js';
import { mergeProject, projectOptions, type ProjectOptions } from './manifest.js';
import type { RunDefaults } from '../../image/run-config.js';
import { printLines } from './output.js';

interface ImageOptions extends ProjectOptions {
  nanos?: string;
  output?: string;
}

interface RunOptions extends ImageOptions {
  port?: string[];
  volume?: string[];
  image?: string;
  memory?: string;
  smp?: string;
  accel: string;
  dryRun?: boolean;
}

/** Where an image goes without -o: UNI_HOME/images/<project folder>.img, as ops keeps its images in ~/.ops/images. */
async function defaultImagePath(opts: ImageOptions): Promise<string> {
  const { loadConfig } = await import('../../config.js');
  return join(loadConfig(process.env).home, 'images', `${basename(dirname(resolvePath(opts.config)))}.img`);
}

/**
 * Resolves, fetches and merges as `uni manifest` does, then has nanos's mkfs write the disk
 * image. `forRun` is set by `uni run`: its ports (RunConfig's and -p) and debug_exit.
 */
async function buildImage(opts: ImageOptions, output: string, forRun?: { ports: readonly number[] }): Promise<void> {
  const arch = archOption(opts.arch);
  const { findNanosKit } = await import('../../image/nanos-kit.js');
  const kit = findNanosKit({ arch, dir: opts.nanos, env: process.env, home: homedir() });
  const imageName = basename(output, extname(output));
  const { manifest, config, writeLock } = await mergeProject(opts, { imageName, ...(kit.version ? { nanosVersion: kit.version } : {}) }, kit.klibDir);
  const { applyRunSettings, runDefaults } = await import('../../image/run-config.js');
  applyRunSettings(manifest, forRun?.ports ?? runDefaults(config.RunConfig).ports, forRun !== undefined);
  const { writeNanosManifest } = await import('../../merge/nanos.js');
  const { runMkfs } = await import('../../image/mkfs.js');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dirname(output), { recursive: true });
  await runMkfs({ kit, manifest: writeNanosManifest(manifest), output, ...(manifest.baseVolumeSize ? { size: manifest.baseVolumeSize } : {}) });
  // Last, as uni manifest does: a build that failed leaves uni.lock as it was.
  writeLock();
}

function imageOptions(command: Command): Command {
  return projectOptions(command)
    .option('--nanos <dir>', "a nanos build's output folder (default: NANOS_DIR, else ~/.ops/<version>/ with mkfs on the PATH)")
    .option('-o, --output <file>', 'the disk image to write (default: UNI_HOME/images/<project folder>.img)');
}

/** KVM when /dev/kvm can be opened for reading and writing, else qemu's emulation (TCG), as ops falls back. */
async function useKvm(accel: string): Promise<boolean> {
  if (accel === 'tcg') return false;
  const { accessSync, constants } = await import('node:fs');
  let usable = true;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    usable = false;
  }
  if (accel === 'kvm' && !usable) {
    const { UniError } = await import('../../../protocol/errors.js');
    throw new UniError('usage', '--accel kvm: /dev/kvm is missing or not readable and writable by this user');
  }
  return usable;
}

/** RunConfig of config.json, as `ops run` reads it; with --image and no config.json, nothing. */
async function configRunDefaults(opts: RunOptions): Promise<RunDefaults> {
  const configPath = resolvePath(opts.config);
  const { existsSync } = await import('node:fs');
  const { runDefaults } = await import('../../image/run-config.js');
  if (opts.image !== undefined && !existsSync(configPath)) return runDefaults(undefined);
  const { readProjectConfig } = await import('../../merge/config.js');
  return runDefaults(readProjectConfig(configPath).RunConfig);
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('make nanos disk images');
  imageOptions(image.command('build'))
    .description("merge config.json's packages and files and write a bootable nanos disk image with nanos's mkfs")
    .addHelpText('after', '\nThe merge rules are in docs/merge.md; finding nanos and booting in docs/image.md.')
    .action(async (opts: ImageOptions) => {
      const output = resolvePath(opts.output ?? (await defaultImagePath(opts)));
      await buildImage(opts, output);
      printLines([output]);
    });

  imageOptions(program.command('run'))
    .description('build the image and boot it in qemu, serial console on this terminal; exits with the program\'s exit code')
    .option('-p, --port <port...>', "forward this TCP port from 127.0.0.1 to the guest (repeatable; added to RunConfig.Ports)")
    .option('-v, --volume <file...>', 'attach this volume disk image (made by mkfs -l LABEL) after the boot disk')
    .option('--image <file>', 'boot this image instead of building one')
    .option('-m, --memory <size>', "the guest's memory, as qemu's -m takes it (default: RunConfig.Memory, else 2G)")
    .option('--smp <n>', 'number of CPUs (default: RunConfig.CPUs)')
    .option('--accel <mode>', 'auto (KVM when /dev/kvm is usable, else TCG), kvm or tcg', 'auto')
    .option('--dry-run', 'print the qemu command line and stop (nothing is built)')
    .addHelpText('after', '\nExit code: the program\'s own, or 1 when building or qemu fails, 2 for a usage error.')
    .action(async (opts: RunOptions) => {
      const { parsePort, qemuCommand, shellLine } = await import('../../image/qemu.js');
      const { UniError } = await import('../../../protocol/errors.js');
      if (!['auto', 'kvm', 'tcg'].includes(opts.accel)) throw new UniError('usage', `--accel ${opts.accel}: use auto, kvm or tcg`);
      const smp = opts.smp === undefined ? undefined : Number(opts.smp);
      if (smp !== undefined && !(Number.isInteger(smp) && smp >= 1)) throw new UniError('usage', `--smp ${opts.smp}: a number of CPUs, 1 or more`);
      const flagPorts = (opts.port ?? []).map((p) => userArg(parsePort, p));
      const defaults = await configRunDefaults(opts);
      const ports = [...new Set([...defaults.ports, ...flagPorts])];
      const cpus = smp ?? defaults.cpus;
      const arch = archOption(opts.arch);
      const imagePath = resolvePath(opts.image ?? opts.output ?? (await defaultImagePath(opts)));
      const { findNanosKit } = await import('../../image/nanos-kit.js');
      const kernel = arch === 'aarch64' ? findNanosKit({ arch, dir: opts.nanos, env: process.env, home: homedir() }).kernel : undefined;
      const run = qemuCommand({
        arch,
        image: imagePath,
        ...(kernel ? { kernel } : {}),
        volumes: (opts.volume ?? []).map((v) => resolvePath(v)),
        ports,
        kvm: await useKvm(opts.accel),
        memory: opts.memory ?? defaults.memory ?? '2G',
        ...(cpus !== undefined ? { cpus } : {}),
      });
      if (opts.dryRun) {
        printLines([shellLine(run.command, run.args)]);
        return;
      }
      if (opts.image === undefined) await buildImage(opts, imagePath, { ports });
      const { bootQemu } = await import('../../image/boot.js');
      process.exitCode = await bootQemu(run.command, run.args);
    });
}
