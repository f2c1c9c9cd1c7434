import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editDistance, nearestKey, parseProjectConfig, readProjectConfig } from '../../client/merge/config.js';
import { tempDir } from './helpers.js';

const opsConfig = join(import.meta.dirname, '../fixtures/ops-config/config.json');

describe('config.json reader', () => {
  it('matches keys without regard to case and keeps the canonical spelling', () => {
    const c = parseProjectConfig({ program: '/bin/x', ARGS: ['a'], env: { K: 'v' }, mapdirs: { 'a/*': '/b' }, dependencies: { redis: '^7' } });
    expect(c).toEqual({ Program: '/bin/x', Args: ['a'], Env: { K: 'v' }, MapDirs: { 'a/*': '/b' }, Dependencies: { 'library/redis': '^7' } });
  });

  it('names an unknown key and the nearest known one', () => {
    expect(() => parseProjectConfig({ MapsDirs: {} })).toThrow('unknown key "MapsDirs" (did you mean "MapDirs"?)');
    expect(() => parseProjectConfig({ Dependancies: {} })).toThrow('unknown key "Dependancies" (did you mean "Dependencies"?)');
    expect(() => parseProjectConfig({ klib: [] })).toThrow('(did you mean "Klibs"?)');
  });

  it('refuses the same key spelt twice', () => {
    expect(() => parseProjectConfig({ Args: [], args: ['x'] })).toThrow('keys "Args" and "args" are the same key Args');
  });

  it('names the field of the wrong type', () => {
    expect(() => parseProjectConfig({ Args: 'x' })).toThrow('field /Args must be array');
    expect(() => parseProjectConfig({ Env: { A: 1 } })).toThrow('field /Env/A must be string');
    expect(() => parseProjectConfig([])).toThrow('must be a JSON object');
  });

  it('canonicalises dependency names and checks ranges', () => {
    expect(parseProjectConfig({ Dependencies: { 'acme/app': 'v1.2.0', node: '^20' } }).Dependencies).toEqual({
      'acme/app': '1.2.0',
      'library/node': '^20',
    });
    expect(() => parseProjectConfig({ Dependencies: { node: 'not a range' } })).toThrow(/Dependencies: library\/node: invalid version range/);
    expect(() => parseProjectConfig({ Dependencies: { node: '1', 'library/node': '2' } })).toThrow(/names library\/node a second time/);
  });

  it('refuses a ManifestPassthrough nested past the depth limit before the schema runs, naming the limit', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 3000; i += 1) deep = { a: deep };
    expect(() => parseProjectConfig({ ManifestPassthrough: deep })).toThrow(
      `config.json: field /ManifestPassthrough${'/a'.repeat(50)}... nests more than 64 levels deep, the limit`,
    );
    let fits: unknown = 'x';
    for (let i = 0; i < 63; i += 1) fits = { a: fits };
    expect(parseProjectConfig({ ManifestPassthrough: fits }).ManifestPassthrough).toEqual(fits);
  });

  it('refuses a ManifestPassthrough with more keys than the schema allows', () => {
    const wide = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, 'v']));
    expect(() => parseProjectConfig({ ManifestPassthrough: wide })).toThrow('config.json: field /ManifestPassthrough must NOT have more than 1024 properties');
  });

  it('reads a file and says which file is at fault', () => {
    const dir = tempDir('uni-config-');
    const bad = join(dir, 'config.json');
    writeFileSync(bad, '{"Args": [}');
    expect(() => readProjectConfig(bad)).toThrow(`${bad} is not valid JSON`);
    expect(() => readProjectConfig(join(dir, 'missing.json'))).toThrow('no such file');
  });

  it('accepts the ops config.json from ops\'s documentation unchanged', () => {
    const c = readProjectConfig(opsConfig);
    expect(c.Args).toEqual(['ex.js']);
    expect(c.Dirs).toEqual(['myapp/static']);
    expect(c.MapDirs).toEqual({ 'certs/*': '/usr/lib/ssl/certs' });
    expect(c.RunConfig).toMatchObject({ Memory: '2G' });
  });

  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestKey('progam')).toBe('Program');
  });
});
