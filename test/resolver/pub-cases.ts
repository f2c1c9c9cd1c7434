import { readFileSync } from 'node:fs';
import { UniError } from '../../protocol/errors.js';
import type { PackageSource, PackageVersionInfo } from '../../client/types.js';

/** test/fixtures/pub-solver-cases.json: see its "shape" and "notes". */
export interface PubCase {
  name: string;
  group: string;
  line: number;
  root: { name: string; version: string; deps: Record<string, string>; overrides?: Record<string, string> };
  packages: Record<string, Record<string, { deps: Record<string, string> }>>;
  locked?: Record<string, string>;
  expect: {
    satisfiable: boolean;
    packages?: Record<string, string>;
    error?: { match: string; text?: string; parts?: string[] };
  };
}

export function loadPubCases(): PubCase[] {
  const url = new URL('../fixtures/pub-solver-cases.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: PubCase[] }).cases;
}

/** The case's registry as a PackageSource; every version has both architectures. */
export function caseSource(c: PubCase): PackageSource {
  return {
    async versions(pkg: string): Promise<PackageVersionInfo[]> {
      const versions = c.packages[pkg];
      if (!versions) throw new UniError('not_found', `package ${pkg} does not exist`, 404);
      return Object.entries(versions).map(([version, v]) => ({
        version,
        dependencies: v.deps,
        yanked: false,
        arches: ['x86_64', 'aarch64'],
      }));
    },
  };
}

/**
 * pub writes `^X.Y.Z` where the fixture (and unipkg) write the range out; pub's caret on 0.x
 * stops at the next minor (pub_semver's nextBreaking), as the fixture's notes say.
 */
export function pubToNpm(text: string): string {
  return text.replace(/\^(\d+)\.(\d+)\.(\d+)/g, (_m, ma: string, mi: string, pa: string) => {
    const upper = Number(ma) > 0 ? `${Number(ma) + 1}.0.0` : `0.${Number(mi) + 1}.0`;
    return `>=${ma}.${mi}.${pa} <${upper}`;
  });
}

export const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
