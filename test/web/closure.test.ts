/** The version page's dependency graph: the closure resolved over package versions, and what it says when it cannot. */
import { describe, expect, it } from 'vitest';
import { resolveClosure, type VersionEntry } from '../../server/web/closure.js';

type Registry = Record<string, Record<string, Partial<VersionEntry>>>;

function loader(reg: Registry) {
  const loads: string[] = [];
  const load = async (name: string) => {
    loads.push(name);
    const versions = reg[name];
    if (!versions) return null;
    return Object.fromEntries(
      Object.entries(versions).map(([v, e]) => [v, { dependencies: {}, yanked: false, artifacts: { x86_64: {} }, ...e }]),
    ) as Record<string, VersionEntry>;
  };
  return { load, loads };
}

const root = (dependencies: Record<string, string>) => ({ name: 'app/root', version: '1.0.0', dependencies });

describe('resolveClosure', () => {
  it('takes the highest version that is not yanked, is built for the architecture and fits every range', async () => {
    const { load } = loader({
      'l/c': { '2.36.0': {}, '2.37.1': {}, '2.38.0': { yanked: true }, '2.39.0': { artifacts: { aarch64: {} } }, '3.0.0': {} },
      'l/ssl': { '3.0.2': { dependencies: { 'l/c': '^2.36' } } },
    });
    const g = await resolveClosure(root({ 'l/c': '^2', 'l/ssl': '^3' }), 'x86_64', load);
    expect(g.problems).toEqual([]);
    expect(g.nodes).toEqual([
      { name: 'app/root', version: '1.0.0', depth: 0 },
      { name: 'l/c', version: '2.37.1', depth: 1 },
      { name: 'l/ssl', version: '3.0.2', depth: 1 },
    ]);
    expect(g.edges).toContainEqual({ from: 'l/ssl', to: 'l/c', range: '^2.36' });
  });

  it('walks again when a later range rules out a version already chosen, and keeps one version per package', async () => {
    const { load } = loader({
      'l/a': { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} },
      'l/b': { '1.0.0': { dependencies: { 'l/a': '<1.5' } } },
    });
    const g = await resolveClosure(root({ 'l/a': '>=1', 'l/b': '1' }), 'x86_64', load);
    expect(g.problems).toEqual([]);
    expect(g.nodes.find((n) => n.name === 'l/a')?.version).toBe('1.0.0');
  });

  it('names each range and who asked when no single version fits them all', async () => {
    const { load } = loader({
      'l/a': { '1.0.0': {}, '2.0.0': {} },
      'l/b': { '1.0.0': { dependencies: { 'l/a': '^2' } } },
    });
    const g = await resolveClosure(root({ 'l/a': '^1', 'l/b': '1' }), 'x86_64', load);
    expect(g.problems).toEqual(['l/a: no single version satisfies ^1 (required by app/root@1.0.0) and ^2 (required by l/b@1.0.0); one version per package is allowed']);
  });

  it('says when a package is missing, has no build for the architecture, or has only yanked matches', async () => {
    const { load } = loader({
      'l/arm': { '1.0.0': { artifacts: { aarch64: {} } } },
      'l/old': { '1.0.0': { yanked: true }, '2.0.0': {} },
    });
    const g = await resolveClosure(root({ 'l/gone': '*', 'l/arm': '^1', 'l/old': '^1' }), 'x86_64', load);
    expect(g.problems).toEqual([
      'l/arm has no version built for x86_64; it asks for ^1 (required by app/root@1.0.0)',
      'l/gone is not in this registry (required by app/root@1.0.0 as *)',
      'l/old: every version that satisfies ^1 (required by app/root@1.0.0) is yanked (1.0.0)',
    ]);
    expect(g.nodes.filter((n) => n.version === null).map((n) => n.name)).toEqual(['l/arm', 'l/gone', 'l/old']);
  });

  it('follows a cycle once and leaves pre-releases out unless a range names one', async () => {
    const { load, loads } = loader({
      'l/x': { '1.0.0': { dependencies: { 'l/y': '^1' } }, '1.1.0-rc.1': {} },
      'l/y': { '1.0.0': { dependencies: { 'l/x': '^1' } } },
    });
    const g = await resolveClosure(root({ 'l/x': '^1' }), 'x86_64', load);
    expect(g.problems).toEqual([]);
    expect(g.nodes.map((n) => `${n.name}@${n.version}`)).toEqual(['app/root@1.0.0', 'l/x@1.0.0', 'l/y@1.0.0']);
    expect(loads.sort()).toEqual(['l/x', 'l/y']);
  });
});
