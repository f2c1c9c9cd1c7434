/**
 * The archive reader under fuzzing, a bounded number of runs per `npm test` (the long run is
 * `npm run fuzz`): mutated archives, fed in random chunk sizes, on the registry's path and on
 * the client's. A broken property fails with the smallest case fast-check finds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveOf, fuzzCase, seedTars } from './archives.js';
import { clientPath, serverPath } from './check.js';

let seeds: Buffer[];
let tmp: string;
beforeAll(async () => {
  seeds = await seedTars();
  tmp = mkdtempSync(join(tmpdir(), 'uni-fuzz-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the archive reader under fuzzing', () => {
  it('accepts every seed whole, on both paths', async () => {
    for (const seed of seeds.keys()) {
      const bytes = archiveOf(seeds, { seed, tar: [], gzip: [], chunks: [7] });
      expect(await serverPath(bytes, [7])).toMatchObject({ accepted: true });
      expect(await clientPath(bytes, [1000], tmp)).toMatchObject({ accepted: true });
    }
  });

  it('gives a result or a UniError on the registry\'s path, never another error, a hang or an entry outside the tree', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        await serverPath(archiveOf(seeds, c), c.chunks);
      }),
      { numRuns: 300 },
    );
  });

  it('gives a result or a UniError on the client\'s path, and an accepted archive writes and links nothing outside its tree', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        await clientPath(archiveOf(seeds, c), c.chunks, tmp);
      }),
      { numRuns: 150 },
    );
  });
});
