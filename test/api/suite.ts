/**
 * The registry's HTTP API as one suite, run against every deployment: Node + SQLite + folder
 * here (node-fs.test.ts), Node + S3 and workerd + D1 + R2 elsewhere. A deployment only has to
 * start, hand out its base URL and an admin token, and show what it stores.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { defineAuthTests } from './suite-auth.js';
import { defineBadInputTests } from './suite-bad-input.js';
import { definePublishReadTests } from './suite-publish-read.js';

export interface Deployment {
  baseUrl: string;
  adminToken: string;
  stop(): Promise<void>;
  /** Every metadata row and every blob key, to assert that a refused request stored nothing. */
  snapshot(): Promise<unknown>;
}

/** Gives the tests the deployment once beforeAll has started it. */
export type DeploymentRef = () => Deployment;

export function defineApiSuite(name: string, start: () => Promise<Deployment>): void {
  describe(`registry API on ${name}`, () => {
    let deployment: Deployment | undefined;
    beforeAll(async () => {
      deployment = await start();
    });
    afterAll(async () => {
      await deployment?.stop();
    });
    const ref: DeploymentRef = () => {
      if (!deployment) throw new Error('the deployment did not start');
      return deployment;
    };
    definePublishReadTests(ref);
    defineAuthTests(ref);
    defineBadInputTests(ref);
  });
}
