import { describe, expect, it } from 'vitest';
import { resolve } from '../../client/resolver/index.js';
import { isUniError } from '../../protocol/errors.js';
import { caseSource, loadPubCases, pubToNpm, squash, type PubCase } from './pub-cases.js';

const cases = loadPubCases();

async function run(c: PubCase): Promise<Record<string, string>> {
  return resolve({
    root: c.root.deps,
    arch: 'x86_64',
    source: caseSource(c),
    ...(c.locked ? { locked: c.locked } : {}),
    ...(c.root.overrides ? { overrides: c.root.overrides } : {}),
    rootName: c.root.name,
    rootVersion: c.root.version,
  });
}

async function failure(c: PubCase): Promise<string> {
  try {
    const solution = await run(c);
    throw new Error(`expected failure, got ${JSON.stringify(solution)}`);
  } catch (e) {
    if (!isUniError(e)) throw e;
    expect(e.code).toBe('unsatisfiable');
    return e.message;
  }
}

/**
 * The (package, range) pairs the case's input writes, as pub prints them ("any" for "*"), with
 * the root's constraints as pub saw them before the fixture merged dev and main dependencies.
 */
function inputRanges(c: PubCase & { root: { source_deps?: Record<string, string>; source_dev_deps?: Record<string, string> } }): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (deps: Record<string, string> | undefined): void => {
    for (const [name, range] of Object.entries(deps ?? {})) out.push([name, range === '*' || range === 'any' ? 'any' : range]);
  };
  add(c.root.deps);
  add(c.root.source_deps);
  add(c.root.source_dev_deps);
  add(c.root.overrides);
  for (const versions of Object.values(c.packages)) for (const v of Object.values(versions)) add(v.deps);
  return out;
}

/** Every package pub's message names, and every range from the input that it names, ours names too. */
function namesWhatPubNames(c: PubCase, ours: string, pubs: string): void {
  const names = [c.root.name, ...Object.keys(c.packages)];
  for (const name of names) {
    if (new RegExp(`\\b${name}\\b`).test(pubs)) expect(ours, `names ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
  }
  for (const [name, range] of inputRanges(c)) {
    if (pubs.includes(`${name} ${range}`)) {
      expect(ours, `names ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      expect(ours, `names ${name} ${range}`).toContain(range);
    }
  }
}

/**
 * Cases whose explanation differs in its derivation, not its facts, and why:
 * - the fixture merges pub's separate dev and main constraints into one range, so there is
 *   one requirement to explain where pub has two;
 * - pub's terms are intervals of the whole version line, so pub first derives "no versions of
 *   shared match ^2.9.0" and then subtracts it; unipkg's terms are sets of published versions
 *   (range membership is semver's alone), so it sees the clash in one step.
 */
const DERIVED_DIFFERENTLY = new Set([
  "fails when main dependency isn't satisfied",
  "fails when dev dependency isn't satisfied",
  'fails when dev and main constraints are incompatible',
  'no version that matches combined constraint',
  'issue 18300',
]);

describe("pub's version solver cases", () => {
  it('has the 53 cases', () => {
    expect(cases).toHaveLength(53);
  });

  for (const c of cases) {
    if (c.expect.satisfiable) {
      it(`${c.group} > ${c.name}: solves exactly as pub does`, async () => {
        expect(await run(c)).toEqual(c.expect.packages);
      });
      continue;
    }
    const pubs = pubToNpm(c.expect.error!.text ?? c.expect.error!.parts!.join('\n'));
    it(`${c.group} > ${c.name}: fails naming what pub names`, async () => {
      namesWhatPubNames(c, await failure(c), pubs);
    });
    if (!DERIVED_DIFFERENTLY.has(c.name)) {
      it(`${c.group} > ${c.name}: explains it in pub's words`, async () => {
        const ours = await failure(c);
        if (c.expect.error!.match === 'equals') expect(ours).toBe(pubs.trimEnd());
        else if (c.expect.error!.match === 'contains') expect(squash(ours)).toContain(squash(pubs));
        else expect(squash(ours)).toBe(squash(pubs));
      });
    }
  }
});
