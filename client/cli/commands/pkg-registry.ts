import type { Command } from 'commander';
import semver from 'semver';
import { UniError } from '../../../protocol/errors.js';
import { canonicalName, parseSpec, type PackageSpec } from '../../../protocol/names.js';
import type { PackageDocument } from '../../registry/client.js';
import type { Session } from '../../registry/session.js';
import { archOption, userArg } from '../errors.js';
import { printJson, printLines, table } from './output.js';
import { printListing, withListingOptions, type ListingOptions } from './registry-listing.js';

interface ReadOptions {
  json?: boolean;
  registry?: string;
  arch?: string;
  offline?: boolean;
}

async function session(opts: ReadOptions): Promise<Session> {
  const { commandSession } = await import('./session.js');
  return commandSession(opts);
}

/** An exact version is taken even when yanked (as a lockfile would); a range picks the newest unyanked match. */
export function pickVersion(doc: PackageDocument, spec: PackageSpec): string {
  const exact = semver.valid(spec.range);
  if (exact && doc.versions[exact]) return exact;
  const candidates = Object.keys(doc.versions).filter((v) => !doc.versions[v]!.yanked);
  const best = semver.maxSatisfying(candidates, spec.range);
  if (!best) {
    const all = Object.keys(doc.versions).sort(semver.rcompare);
    throw new UniError(
      'not_found',
      `${doc.name} has no version matching ${spec.range}${all.length ? ` (published: ${all.slice(0, 10).join(', ')})` : ''}`,
      404,
    );
  }
  return best;
}

function withCommon(cmd: Command): Command {
  return cmd.option('--registry <url>', 'registry to use instead of the configured one').option('--json', 'print JSON');
}

/** `uni pkg info | versions | search | contents`: questions the registry answers without a download. */
export function registerPkgRegistryCommands(pkg: Command): void {
  withCommon(pkg.command('info').description('show one version of a package: dependencies, architectures, digests'))
    .argument('<spec>', 'redis, redis@^7, eyberg/node:20.5.0 ...')
    .option('--offline', 'answer from the cache only')
    .action(async (specText: string, opts: ReadOptions) => {
      const spec = userArg(parseSpec, specText);
      const s = await session(opts);
      const doc = await s.source.document(spec.name.full);
      const version = pickVersion(doc, spec);
      const v = doc.versions[version]!;
      const info = {
        name: doc.name,
        version,
        description: doc.description ?? null,
        private: doc.private,
        yanked: v.yanked,
        ...(v.yankReason ? { yankReason: v.yankReason } : {}),
        publishedAt: v.publishedAt,
        dependencies: v.dependencies,
        artifacts: v.artifacts,
      };
      if (opts.json) return printJson(info);
      const { formatBytes } = await import('../../progress.js');
      const lines = [`${doc.name} ${version}${v.yanked ? ` (yanked${v.yankReason ? `: ${v.yankReason}` : ''})` : ''}`];
      if (doc.description) lines.push(doc.description);
      lines.push(`published: ${v.publishedAt}`);
      const deps = Object.entries(v.dependencies);
      lines.push(`dependencies: ${deps.length ? deps.map(([n, r]) => `${n} ${r}`).join(', ') : 'none'}`);
      for (const [arch, a] of Object.entries(v.artifacts)) lines.push(`${arch}: ${a!.digest} (${formatBytes(a!.size)})`);
      printLines(lines);
    });

  withCommon(pkg.command('versions').description('list the published versions of a package'))
    .argument('<name>', 'redis or namespace/name')
    .option('--offline', 'answer from the cache only')
    .action(async (name: string, opts: ReadOptions) => {
      const full = userArg(canonicalName, name);
      const s = await session(opts);
      const doc = await s.source.document(full);
      const rows = Object.entries(doc.versions)
        .sort(([a], [b]) => semver.rcompare(a, b))
        .map(([version, v]) => ({ version, yanked: v.yanked, arches: Object.keys(v.artifacts), publishedAt: v.publishedAt }));
      if (opts.json) return printJson(rows);
      printLines(table(rows.map((r) => [r.version, r.arches.join(','), r.publishedAt, r.yanked ? 'yanked' : ''])));
    });

  withListingOptions(withCommon(pkg.command('search').description('search the registry by name and description; with no text, list it')))
    .argument('[text]', 'words to look for', '')
    .action((text: string, opts: ListingOptions) => printListing(text, opts, `uni pkg search${text ? ` ${JSON.stringify(text)}` : ''}`));

  withCommon(pkg.command('contents').description("list the files of a package from the registry's index, without downloading it"))
    .argument('<spec>', 'redis, redis@^7, eyberg/node:20.5.0 ...')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .action(async (specText: string, opts: ReadOptions) => {
      const spec = userArg(parseSpec, specText);
      const arch = archOption(opts.arch);
      const s = await session(opts);
      const doc = await s.source.document(spec.name.full);
      const version = pickVersion(doc, spec);
      if (!doc.versions[version]!.artifacts[arch]) {
        const has = Object.keys(doc.versions[version]!.artifacts).join(', ') || 'none';
        throw new UniError('no_artifact', `${doc.name}@${version} has no artifact for ${arch} (it has: ${has})`, 404);
      }
      const art = await s.client.getArtifact(doc.name, version, arch);
      if (opts.json) return printJson(art.files);
      printLines(
        table(
          art.files.map((f) => [
            f.type,
            (f.mode & 0o777).toString(8).padStart(4, '0'),
            f.type === 'file' ? String(f.size ?? '') : '',
            f.type === 'symlink' ? `${f.path} -> ${f.linkTarget ?? ''}` : f.path,
          ]),
        ),
      );
    });
}
