import type { Arch } from '../../protocol/names.js';
import { constraintOf, formatRange, isAny, terse } from './format.js';
import { isFailure, type Incompatibility } from './incompatibility.js';
import { negate, satisfies, type Term } from './term.js';

/**
 * One incompatibility in words, following pub's incompatibility.dart so that explanations
 * read like pub's ("foo ^1.0.0 depends on bar ^2.0.0", "bar is incompatible with foo").
 */
export function describe(inc: Incompatibility, arch: Arch): string {
  const { cause, terms } = inc;
  switch (cause.kind) {
    case 'dependency':
      return `${terse(terms[0]!, true)} depends on ${terse(terms[1]!)}`;
    case 'missing':
      return `${terse(terms[0]!, true)} depends on ${missingTarget(cause)}`;
    case 'self':
      return `${terse(terms[0]!, true)} depends on ${terms[0]!.pkg.name} ${formatRange(cause.range)}, which excludes itself`;
    case 'noVersions':
      return `no versions of ${terms[0]!.pkg.name} match ${constraintOf(terms[0]!)}`;
    case 'arch':
      return isAny(terms[0]!) ? `${terms[0]!.pkg.name} has no ${arch} build` : `${terse(terms[0]!, false, true)} has no ${arch} build`;
    case 'yanked':
      return `${terse(terms[0]!, false, true)} is yanked`;
    case 'root':
      return `${terms[0]!.pkg.name} is ${terms[0]!.pkg.versions[0]}`;
    case 'conflict':
      break;
  }
  if (isFailure(inc)) return 'version solving failed';
  if (terms.length === 1) {
    const t = terms[0]!;
    const what = isAny(t) ? t.pkg.name : terse(t);
    return `${what} is ${t.positive ? 'forbidden' : 'required'}`;
  }
  if (terms.length === 2 && terms[0]!.positive === terms[1]!.positive) {
    const [a, b] = terms as [Term, Term];
    if (a.positive) {
      return `${isAny(a) ? a.pkg.name : terse(a)} is incompatible with ${isAny(b) ? b.pkg.name : terse(b)}`;
    }
    return `either ${terse(a)} or ${terse(b)}`;
  }
  const positive = terms.filter((t) => t.positive);
  const negative = terms.filter((t) => !t.positive);
  if (positive.length > 0 && negative.length > 0) {
    const neg = negative.map((t) => terse(t)).join(' or ');
    if (positive.length === 1) return `${terse(positive[0]!, true)} requires ${neg}`;
    return `if ${positive.map((t) => terse(t)).join(' and ')} then ${neg}`;
  }
  if (positive.length > 0) return `one of ${positive.map((t) => terse(t)).join(' or ')} must be false`;
  return `one of ${negative.map((t) => terse(t)).join(' or ')} must be true`;
}

function missingTarget(cause: { dependency: string; range: string; notFound?: string }): string {
  const range = formatRange(cause.range);
  return cause.notFound
    ? `${cause.dependency} ${range} which doesn't exist (${cause.notFound})`
    : `${cause.dependency} ${range} which doesn't match any versions`;
}

const line = (n: number | undefined): string => (n === undefined ? '' : ` (${n})`);

/** "A and B", phrased as pub phrases the common shapes ("X depends on Y which depends on Z"). */
export function describeBoth(a: Incompatibility, b: Incompatibility, arch: Arch, aLine?: number, bLine?: number): string {
  return (
    requiresBoth(a, b, aLine, bLine) ??
    requiresThrough(a, b, aLine, bLine) ??
    requiresForbidden(a, b, arch, aLine, bLine) ??
    `${describe(a, arch)}${line(aLine)} and ${describe(b, arch)}${line(bLine)}`
  );
}

function single(inc: Incompatibility, pred: (t: Term) => boolean): Term | undefined {
  let found: Term | undefined;
  for (const t of inc.terms) {
    if (!pred(t)) continue;
    if (found) return undefined;
    found = t;
  }
  return found;
}

function verb(inc: Incompatibility): string {
  return inc.cause.kind === 'dependency' ? 'depends on' : 'requires';
}

function requiresBoth(a: Incompatibility, b: Incompatibility, aLine?: number, bLine?: number): string | undefined {
  if (a.terms.length === 1 || b.terms.length === 1) return undefined;
  const aPos = single(a, (t) => t.positive);
  const bPos = single(b, (t) => t.positive);
  // One sentence about both only when both speak of the same versions, as pub's PackageRange
  // equality requires: "a >=1.1.0 depends on both c ^1 and b ^1" would be false when b ^1 is
  // a 1.0.0's dependency.
  if (!aPos || !bPos || aPos.pkg !== bPos.pkg || !aPos.set.equals(bPos.set)) return undefined;
  const negs = (inc: Incompatibility): string =>
    inc.terms
      .filter((t) => !t.positive)
      .map((t) => terse(t))
      .join(' or ');
  const both = a.cause.kind === 'dependency' && b.cause.kind === 'dependency' ? 'depends on' : 'requires';
  return `${terse(aPos, true)} ${both} both ${negs(a)}${line(aLine)} and ${negs(b)}${line(bLine)}`;
}

function requiresThrough(a: Incompatibility, b: Incompatibility, aLine?: number, bLine?: number): string | undefined {
  if (a.terms.length === 1 || b.terms.length === 1) return undefined;
  const aNeg = single(a, (t) => !t.positive);
  const bNeg = single(b, (t) => !t.positive);
  if (!aNeg && !bNeg) return undefined;
  const aPos = single(a, (t) => t.positive);
  const bPos = single(b, (t) => t.positive);
  let prior: Incompatibility;
  let priorNeg: Term;
  let priorLine: number | undefined;
  let latter: Incompatibility;
  let latterLine: number | undefined;
  if (aNeg && bPos && aNeg.pkg === bPos.pkg && satisfies(negate(aNeg), bPos)) {
    [prior, priorNeg, priorLine, latter, latterLine] = [a, aNeg, aLine, b, bLine];
  } else if (bNeg && aPos && bNeg.pkg === aPos.pkg && satisfies(negate(bNeg), aPos)) {
    [prior, priorNeg, priorLine, latter, latterLine] = [b, bNeg, bLine, a, aLine];
  } else {
    return undefined;
  }
  const priorPositives = prior.terms.filter((t) => t.positive);
  const head =
    priorPositives.length > 1
      ? `if ${priorPositives.map((t) => terse(t)).join(' or ')} then `
      : `${terse(priorPositives[0]!, true)} ${verb(prior)} `;
  const tail = latter.terms
    .filter((t) => !t.positive)
    .map((t) => terse(t))
    .join(' or ');
  return `${head}${terse(priorNeg)}${line(priorLine)} which ${verb(latter)} ${tail}${line(latterLine)}`;
}

function requiresForbidden(a: Incompatibility, b: Incompatibility, arch: Arch, aLine?: number, bLine?: number): string | undefined {
  if (a.terms.length !== 1 && b.terms.length !== 1) return undefined;
  const [prior, latter, priorLine, latterLine] = a.terms.length === 1 ? [b, a, bLine, aLine] : [a, b, aLine, bLine];
  const negative = single(prior, (t) => !t.positive);
  if (!negative || !satisfies(negate(negative), latter.terms[0]!)) return undefined;
  const positives = prior.terms.filter((t) => t.positive);
  const head =
    positives.length > 1
      ? `if ${positives.map((t) => terse(t)).join(' or ')} then `
      : `${terse(positives[0]!, true)} ${verb(prior)} `;
  // A missing dependency is a fact about the prior's target, best quoted as the prior wrote it.
  const forbidden = latter.cause.kind === 'missing' ? negate(negative) : latter.terms[0]!;
  const exact = latter.cause.kind === 'arch' || latter.cause.kind === 'yanked';
  let reason: string;
  switch (latter.cause.kind) {
    case 'noVersions':
      reason = "which doesn't match any versions";
      break;
    case 'arch':
      reason = `which has no ${arch} build`;
      break;
    case 'yanked':
      reason = 'which is yanked';
      break;
    case 'missing':
      reason = `which depends on ${missingTarget(latter.cause)}`;
      break;
    default:
      reason = 'which is forbidden';
  }
  return `${head}${terse(forbidden, false, exact)} ${priorLine === undefined ? '' : `(${priorLine}) `}${reason}${line(latterLine)}`;
}
