import type { Arch } from '../../schemas/names.js';
import type { InstalledPackage } from '../types.js';
import type { ProjectConfig } from './config.js';
import { klibNames, mergeImage, type ImageManifest } from './merge.js';
import { configPlacements, klibEntries, packagePlacements } from './placements.js';

/** Reads what the merge needs from the cache and the project folder, then merges. */
export async function buildImageManifest(
  config: ProjectConfig,
  configDir: string,
  packages: readonly InstalledPackage[],
  arch: Arch,
): Promise<ImageManifest> {
  const inputs = await Promise.all(packages.map(async (pkg) => ({ pkg, placements: await packagePlacements(pkg) })));
  const userFiles = await configPlacements(config, configDir);
  const klibFiles = await klibEntries(klibNames(config, packages), config, configDir);
  return mergeImage({ config, arch, packages: inputs, userFiles, klibFiles });
}
