/**
 * The fault suite's deployments: each fault class runs its cases on every deployment where the
 * fault applies (Node + folder, Node + radosgw S3, workerd + D1 + R2), as the API suite does.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Deployment, DeploymentRef } from '../api/suite.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from '../blobstore/radosgw.js';
import { startNodeFsDeployment } from '../helpers/node-deployment.js';
import { startS3Deployment } from '../helpers/s3-deployment.js';
import { startWorkersDeployment } from '../workers/deployment.js';

export type DeploymentName = 'Node + folder' | 'Node + radosgw S3' | 'workerd + D1 + R2';

/** What every deployment's snapshot holds: every row of every table, every blob key (staged too). */
export interface Snapshot {
  rows: Record<string, Record<string, unknown>[]>;
  blobs: string[];
}

export async function snapshotOf(dep: Deployment): Promise<Snapshot> {
  return (await dep.snapshot()) as Snapshot;
}

/** The sha256 hex of every committed blob key, and whether any staged body is left. */
export function blobDigests(s: Snapshot): string[] {
  return s.blobs.flatMap((k) => /sha256\/(?:[0-9a-f]{2}\/)?([0-9a-f]{64})$/.exec(k)?.[1] ?? []).map((hex) => `sha256:${hex}`).sort();
}

/** Asserts that between two snapshots nothing was stored: no row, no blob, no staged body. */
export function expectNothingStored(before: Snapshot, after: Snapshot): void {
  expect(after).toEqual(before);
}

const available = await radosgwAvailable();

/** Runs `define` once per deployment in `names`, each in its own describe with its own registry. */
export function onDeployments(names: DeploymentName[], define: (dep: DeploymentRef, name: DeploymentName) => void): void {
  for (const name of names) {
    describe.skipIf(name === 'Node + radosgw S3' && !available)(name, () => {
      let gw: Radosgw | undefined;
      let deployment: Deployment | undefined;
      beforeAll(async () => {
        if (name === 'Node + folder') deployment = await startNodeFsDeployment();
        else if (name === 'workerd + D1 + R2') deployment = await startWorkersDeployment();
        else {
          gw = await startRadosgw();
          deployment = await startS3Deployment(gw);
        }
      });
      afterAll(async () => {
        await deployment?.stop();
        await gw?.release();
      });
      define(() => {
        if (!deployment) throw new Error(`the ${name} deployment did not start`);
        return deployment;
      }, name);
    });
  }
}

export const EVERY_DEPLOYMENT: DeploymentName[] = ['Node + folder', 'Node + radosgw S3', 'workerd + D1 + R2'];
