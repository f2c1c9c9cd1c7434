import type { Arch } from '../../protocol/names.js';
import type { InstalledPackage } from '../types.js';
import type { ProjectConfig } from './config.js';
import { addArgsCopy, klibNames, mergeImage, type ImageManifest } from './merge.js';
import { nameServersOf, opsDefaultEnv, opsDefaultFiles, storeDefaultFiles, type ImageFacts } from './ops-defaults.js';
import { argsCopyPlacements, configPlacements, klibEntries, packagePlacements } from './placements.js';

export interface BuildOptions {
  arch: Arch;
  /** Where the files uni writes into every image (resolv.conf, passwd, hostname) are kept for mkfs to read. */
  generatedDir: string;
  facts?: ImageFacts;
}

/** Reads what the merge needs from the cache and the project folder, then merges. */
export async function buildImageManifest(
  config: ProjectConfig,
  configDir: string,
  packages: readonly InstalledPackage[],
  options: BuildOptions,
): Promise<ImageManifest> {
  const inputs = await Promise.all(packages.map(async (pkg) => ({ pkg, placements: await packagePlacements(pkg) })));
  const userFiles = await configPlacements(config, configDir);
  const klibFiles = await klibEntries(klibNames(config, packages), config, configDir);
  const nameServers = nameServersOf(config, packages.map((p) => p.manifest.NameServers));
  const defaultFiles = storeDefaultFiles(opsDefaultFiles(nameServers), options.generatedDir);
  const defaultEnv = opsDefaultEnv(options.arch, options.facts ?? {});
  const manifest = mergeImage({ config, arch: options.arch, packages: inputs, userFiles, klibFiles, defaultFiles, defaultEnv });
  const copied = manifest.arguments[1];
  if (config['DisableArgsCopy'] !== true && copied !== undefined) addArgsCopy(manifest, await argsCopyPlacements(copied, config, configDir));
  return manifest;
}
