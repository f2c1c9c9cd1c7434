import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { checkNamePart, normalizeVersion, parseArch, parseSpec, type Arch } from '../../../protocol/names.js';
import { hostArch } from '../../arch.js';
import type { Session } from '../../registry/session.js';
import { userArg } from '../errors.js';
import { printJson, printLines, warn } from './output.js';

interface PublishOptions {
  arch?: string;
  namespace: string;
  private?: boolean;
  registry?: string;
  json?: boolean;
}

/** A package folder is packed (reproducibly, as `uni pkg pack` does) into a temp archive first. */
async function archiveOf(path: string, work: () => string): Promise<string> {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UniError('usage', `${path} does not exist`);
  }
  if (!st.isDirectory()) return path;
  const { packDirectory } = await import('../../pack/pack.js');
  const { createTaskProgress } = await import('../../progress.js');
  return (await packDirectory(path, { out: join(work(), 'package.tar.gz'), progress: (total) => createTaskProgress(process.stderr, 'packing', total) })).file;
}

/** The archive is read through once before upload: a bad one is refused here, naming the entry, at no network cost. */
async function describeArchive(path: string, archOverride?: Arch): Promise<{ name: string; version: string; arch: Arch; size: number }> {
  const st = statSync(path);
  const { readArchive } = await import('../../../protocol/archive/read.js');
  const { createTaskProgress } = await import('../../progress.js');
  const progress = createTaskProgress(process.stderr, 'checking', st.size);
  const source = createReadStream(path, { highWaterMark: 1 << 20 }).on('data', (chunk) => progress.bytes(chunk.length));
  const contents = await readArchive(source).finally(() => progress.stop());
  contents.manifestNotes.forEach(warn);
  const m = contents.manifest;
  const name = m.Name ?? contents.topFolder.replace(/_[^_]*$/, '');
  checkNamePart(name, 'name');
  const version = normalizeVersion(m.Version);
  const arch = archOverride ?? (m.Arch ? parseArch(m.Arch) : hostArch());
  return { name, version, arch, size: st.size };
}

/** `uni pkg publish | yank | unyank`: the commands that change the registry. */
export function registerPkgPublishCommands(pkg: Command): void {
  pkg
    .command('publish')
    .description('publish a package folder or archive (.tar.gz) to the registry')
    .argument('<dir|archive>', 'a package folder (package.manifest, sysroot/), packed as uni pkg pack does, or its .tar.gz')
    .option('--arch <arch>', 'architecture to publish for; default: the manifest\'s Arch, else this machine')
    .option('--namespace <ns>', 'namespace to publish into', 'library')
    .option('--private', 'on first publish, make the package visible only to tokens of its namespace')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--json', 'print the registry\'s answer as JSON')
    .action(async (input: string, opts: PublishOptions) => {
      const ns = userArg((n) => checkNamePart(n, 'namespace'), opts.namespace);
      const arch = userArg(parseArch, opts.arch);
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'publishing');
      let work: string | null = null;
      try {
        const path = await archiveOf(input, () => (work = mkdtempSync(join(tmpdir(), 'uni-publish-'))));
        await upload(s, ns, path, arch, opts);
      } finally {
        if (work) rmSync(work, { recursive: true, force: true });
      }
    });

  pkg
    .command('yank')
    .description('hide a version from ranges; lockfiles that pin it still get it')
    .argument('<name@version>', 'for example redis@7.2.4')
    .option('--reason <text>', 'why, shown to people who look at the version')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .action(async (specText: string, opts: { reason?: string; registry?: string }) => {
      const { full, version } = exactVersion(specText);
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'yanking');
      await s.client.yank(full, version, opts.reason);
      printLines([`yanked ${full}@${version}`]);
    });

  pkg
    .command('unyank')
    .description('make a yanked version selectable by ranges again')
    .argument('<name@version>', 'for example redis@7.2.4')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .action(async (specText: string, opts: { registry?: string }) => {
      const { full, version } = exactVersion(specText);
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'unyanking');
      await s.client.unyank(full, version);
      printLines([`unyanked ${full}@${version}`]);
    });
}

async function upload(s: Session, ns: string, path: string, arch: Arch | undefined, opts: PublishOptions): Promise<void> {
  const a = await describeArchive(path, arch);
  const full = `${ns}/${a.name}`;
  const { createTaskProgress } = await import('../../progress.js');
  const progress = createTaskProgress(process.stderr, `uploading ${full}@${a.version}`, a.size);
  const res = await s.client.publish(full, a.version, a.arch, path, a.size, opts.private ?? false, (n) => progress.bytes(n)).finally(() => progress.stop());
  if (opts.json) return printJson({ name: full, version: a.version, arch: a.arch, created: res.status === 201, ...res.body });
  const digest = typeof res.body['digest'] === 'string' ? ` ${res.body['digest']}` : '';
  printLines([
    res.status === 201
      ? `published ${full}@${a.version} (${a.arch})${digest}`
      : `${full}@${a.version} (${a.arch}) was already published with these exact bytes${digest}`,
  ]);
}

function exactVersion(text: string): { full: string; version: string } {
  const spec = userArg(parseSpec, text);
  let version: string;
  try {
    version = normalizeVersion(spec.range);
  } catch {
    throw new UniError('usage', `"${text}" must name one exact version, such as redis@7.2.4`);
  }
  return { full: spec.name.full, version };
}
