/**
 * PUT /v1/packages/:ns/:name/:version/:arch: the archive as the raw body, streamed.
 * Order: authorize, stage + validate while reading, claim the digest, commit the blob, then
 * record the metadata in one transaction. A refusal after the commit deletes the blob when
 * nothing else references or claims it (server/gc/release.ts); only a crash between commit
 * and record leaves an unreferenced blob, which `uni serve gc` removes.
 */
import { Hono } from 'hono';
import { UniError } from '../../protocol/errors.js';
import { canonicalName, normalizeRange } from '../../protocol/names.js';
import type { PackageManifest } from '../../protocol/validate.js';
import { checkPublish, isAdmin, requireToken } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { archParam, boolParam, packageTarget, versionParam } from '../http.js';
import { ingestArchive } from '../publish/ingest.js';
import { findArtifact, findPackage, findVersion } from '../store/packages.js';
import { brokenRule } from '../store/guards.js';
import { isUniqueViolation, recordPublish } from '../store/publish.js';
import { claimBlob, releaseBlob } from '../gc/release.js';

/** Dependencies with canonical names (`redis` → `library/redis`); a bad range names its key. */
function dependenciesOf(manifest: PackageManifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, range] of Object.entries(manifest.Dependencies ?? {})) {
    try {
      out[canonicalName(name)] = normalizeRange(range);
    } catch (e) {
      throw new UniError('invalid_manifest', `package.manifest: field /Dependencies/${name}: ${(e as Error).message}`);
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** JSON for a column; a document too deeply nested to serialize is refused, not a 500. */
function storedJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new UniError('invalid_manifest', `${what} is nested too deeply to store; flatten it`);
  }
}

function sameDependencies(stored: string, deps: Record<string, string>): boolean {
  return stored === JSON.stringify(deps);
}

export function publishRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.put('/v1/packages/:ns/:name/:version/:arch', async (c) => {
    const target = packageTarget(c.req.param('ns'), c.req.param('name'));
    const version = versionParam(c.req.param('version'));
    const arch = archParam(c.req.param('arch'));
    const wantPrivate = boolParam(c.req.query('private'), 'private');
    const principal = requireToken(c.get('principal'), 'publishing');
    const { unclaimed } = await checkPublish(deps.db, principal, target.namespace);

    const existing = await findPackage(deps.db, target.full);
    if (existing && wantPrivate !== undefined && (existing.private === 1) !== wantPrivate) {
      throw visibilityConflict(target.full, existing.private === 1);
    }
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > deps.config.maxBodyBytes) {
      throw new UniError('too_large', `archive is larger than the limit of ${deps.config.maxBodyBytes} bytes`, 413);
    }
    const body = c.req.raw.body;
    if (body === null || declared === '0') throw new UniError('bad_archive', 'the request has no body: send the .tar.gz archive');

    const { staged, contents } = await ingestArchive(deps.blobs, deps.config, body, { name: target.name, version, arch });
    const summary = (publishedAt: string) => ({
      name: target.full,
      version,
      arch,
      digest: staged.digest,
      size: staged.size,
      files: contents.files.length,
      publishedAt,
    });
    // Until the commit, the staged blob is ours to remove: a refusal leaves nothing behind.
    let dependencies: Record<string, string>;
    let manifestJson: string;
    let filesJson: string;
    try {
      dependencies = dependenciesOf(contents.manifest);
      manifestJson = storedJson(contents.manifest, 'package.manifest');
      filesJson = storedJson(contents.files, 'the file index');
      const prior = await findArtifact(deps.db, target.full, version, arch);
      if (prior?.digest === staged.digest) {
        await deps.blobs.discard(staged);
        return c.json(summary(prior.published_at), 200);
      }
      if (prior) throw conflict(target.full, version, arch);
      const priorVersion = await findVersion(deps.db, target.full, version);
      if (priorVersion && !sameDependencies(priorVersion.dependencies, dependencies)) {
        throw new UniError(
          'conflict',
          `${target.full}@${version} is already published with other Dependencies (${priorVersion.dependencies}); all architectures of a version share them`,
          409,
        );
      }
    } catch (e) {
      await deps.blobs.discard(staged);
      throw e;
    }

    let claim: string;
    try {
      claim = await claimBlob(deps.db, deps.clock, staged.digest);
    } catch (e) {
      await deps.blobs.discard(staged);
      throw e;
    }
    // From the commit on, the blob may be this publish's alone: any refusal releases it.
    const release = async (): Promise<void> => {
      await releaseBlob(deps.db, deps.blobs, deps.clock, staged.digest, claim).catch((e: unknown) => {
        deps.config.log(`warning: blob ${staged.digest} of a failed publish was not deleted (gc will): ${(e as Error).message}`);
      });
    };
    try {
      await deps.blobs.commit(staged);
    } catch (e) {
      await deps.blobs.discard(staged).catch(() => undefined);
      await release();
      throw e;
    }
    const at = deps.clock.now().toISOString();
    try {
      await recordPublish(deps.db, {
        namespace: target.namespace,
        shortName: target.name,
        name: target.full,
        version,
        arch,
        digest: staged.digest,
        size: staged.size,
        private: wantPrivate,
        description: contents.manifest.Description ?? null,
        dependencies,
        manifestJson,
        filesJson,
        claim,
        owner: principal.owner,
        admin: isAdmin(principal),
        claimNamespace: unclaimed,
        at,
      });
    } catch (e) {
      await release();
      // Checked first: on D1 a failed CHECK also reads as SQLITE_CONSTRAINT.
      const broken = brokenRule(e);
      if (broken === 'namespace_owner') {
        throw new UniError('forbidden', `namespace "${target.namespace}" was claimed by another owner while this archive was being received`, 403);
      }
      if (broken === 'visibility') throw visibilityConflict(target.full, !wantPrivate);
      if (!isUniqueViolation(e)) throw e;
      // A concurrent publish of the same version and arch committed first.
      const winner = await findArtifact(deps.db, target.full, version, arch);
      if (winner?.digest === staged.digest) return c.json(summary(winner.published_at), 200);
      throw conflict(target.full, version, arch);
    }
    return c.json(summary(at), 201);
  });

  return app;
}

function visibilityConflict(name: string, isPrivate: boolean): UniError {
  return new UniError('visibility_conflict', `package ${name} is ${isPrivate ? 'private' : 'public'}; visibility is set by its first publish`, 409);
}

function conflict(name: string, version: string, arch: string): UniError {
  return new UniError(
    'conflict',
    `${name}@${version} for ${arch} is already published with different bytes; a published version never changes, publish a new version`,
    409,
  );
}
