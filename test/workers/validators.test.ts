/**
 * The precompiled validators (the only ones the Worker can run) must match the schemas:
 * a schema edited without `node scripts/build-validators.mjs` fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { generate, OUTPUT } from '../../scripts/build-validators.mjs';
import { validateWith } from '../../schemas/validate.js';

describe('precompiled schema validators', () => {
  it('are current with schemas/*.schema.json', () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate(), 'schemas/validators.generated.ts is stale: run node scripts/build-validators.mjs').toBe(true);
  });

  it('refuse a schema that was never precompiled, naming the command that fixes it', () => {
    const schema = { $id: 'https://example.com/new.schema.json', type: 'object' };
    expect(() => validateWith(schema, {}, 'new thing')).toThrow(/https:\/\/example.com\/new.schema.json is not precompiled: run node scripts\/build-validators.mjs/);
  });
});
