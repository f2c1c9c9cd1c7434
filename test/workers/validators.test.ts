/**
 * The precompiled validators (the only ones the Worker can run) are found by the schema's $id;
 * `npm run build` generates them from protocol/*.schema.json.
 */
import { describe, expect, it } from 'vitest';
import { validateWith } from '../../protocol/validate.js';

describe('precompiled schema validators', () => {
  it('refuse a schema that was never precompiled, naming the command that fixes it', () => {
    const schema = { $id: 'https://example.com/new.schema.json', type: 'object' };
    expect(() => validateWith(schema, {}, 'new thing')).toThrow(/https:\/\/example.com\/new.schema.json is not precompiled: run node scripts\/build-validators.mjs/);
  });
});
