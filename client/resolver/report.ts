import type { Arch } from '../../protocol/names.js';
import { describe, describeBoth } from './describe.js';
import type { Incompatibility } from './incompatibility.js';

type Conflict = Incompatibility & { cause: { kind: 'conflict'; conflict: Incompatibility; other: Incompatibility } };

function isDerived(inc: Incompatibility): inc is Conflict {
  return inc.cause.kind === 'conflict';
}

/**
 * Explains why solving failed, as pub's failure.dart does (solver.md, "Error reporting"): walk
 * the derivation tree of the final incompatibility, collapse linear chains into "X depends on
 * Y which depends on Z", and number the lines that are referred to more than once.
 */
export function explain(root: Incompatibility, arch: Arch): string {
  return new Writer(root, arch).write();
}

class Writer {
  private readonly derivations = new Map<Incompatibility, number>();
  private readonly lines: Array<[string, number | undefined]> = [];
  private readonly lineNumbers = new Map<Incompatibility, number>();

  constructor(
    private readonly root: Incompatibility,
    private readonly arch: Arch,
  ) {
    this.count(root);
  }

  write(): string {
    if (isDerived(this.root)) this.visit(this.root);
    else this.emit(this.root, `Because ${describe(this.root, this.arch)}, version solving failed.`);
    const numbers = [...this.lineNumbers.values()];
    const padding = numbers.length === 0 ? 0 : `(${numbers[numbers.length - 1]}) `.length;
    const out: string[] = [];
    let lastWasEmpty = false;
    for (const [message, number] of this.lines) {
      if (message === '') {
        if (!lastWasEmpty) out.push('');
        lastWasEmpty = true;
        continue;
      }
      lastWasEmpty = false;
      const prefix = number === undefined ? ' '.repeat(padding) : `(${number})`.padEnd(padding);
      out.push(prefix + message);
    }
    return out.join('\n');
  }

  private count(inc: Incompatibility): void {
    const seen = this.derivations.get(inc);
    if (seen !== undefined) {
      this.derivations.set(inc, seen + 1);
      return;
    }
    this.derivations.set(inc, 1);
    if (isDerived(inc)) {
      this.count(inc.cause.conflict);
      this.count(inc.cause.other);
    }
  }

  private emit(inc: Incompatibility, message: string, numbered = false): void {
    if (numbered) {
      const n = this.lineNumbers.size + 1;
      this.lineNumbers.set(inc, n);
      this.lines.push([message, n]);
    } else {
      this.lines.push([message, undefined]);
    }
  }

  private visit(inc: Conflict, conclusion = false): void {
    const numbered = conclusion || this.derivations.get(inc)! > 1;
    const conjunction = conclusion || inc === this.root ? 'So,' : 'And';
    const text = describe(inc, this.arch);
    const { conflict, other } = inc.cause;
    const both = (a: Incompatibility, b: Incompatibility, al?: number, bl?: number): string => describeBoth(a, b, this.arch, al, bl);

    if (isDerived(conflict) && isDerived(other)) {
      const conflictLine = this.lineNumbers.get(conflict);
      const otherLine = this.lineNumbers.get(other);
      if (conflictLine !== undefined && otherLine !== undefined) {
        this.emit(inc, `Because ${both(conflict, other, conflictLine, otherLine)}, ${text}.`, numbered);
      } else if (conflictLine !== undefined || otherLine !== undefined) {
        const [withLine, withoutLine, n] =
          conflictLine !== undefined ? [conflict, other, conflictLine] : [other, conflict, otherLine!];
        this.visit(withoutLine);
        this.emit(inc, `${conjunction} because ${describe(withLine, this.arch)} (${n}), ${text}.`, numbered);
      } else {
        const singleConflict = this.isSingleLine(conflict);
        const singleOther = this.isSingleLine(other);
        if (singleOther || singleConflict) {
          const first = singleOther ? conflict : other;
          const second = singleOther ? other : conflict;
          this.visit(first);
          this.visit(second);
          this.emit(inc, `Thus, ${text}.`, numbered);
        } else {
          this.visit(conflict, true);
          this.lines.push(['', undefined]);
          this.visit(other);
          const n = this.lineNumbers.get(conflict);
          this.emit(inc, `${conjunction} because ${describe(conflict, this.arch)} (${n}), ${text}.`, numbered);
        }
      }
    } else if (isDerived(conflict) || isDerived(other)) {
      const derived = (isDerived(conflict) ? conflict : other) as Conflict;
      const ext = isDerived(conflict) ? other : conflict;
      const derivedLine = this.lineNumbers.get(derived);
      if (derivedLine !== undefined) {
        this.emit(inc, `Because ${both(ext, derived, undefined, derivedLine)}, ${text}.`, numbered);
      } else if (this.isCollapsible(derived)) {
        const dc = derived.cause;
        const collapsedDerived = (isDerived(dc.conflict) ? dc.conflict : dc.other) as Conflict;
        const collapsedExt = isDerived(dc.conflict) ? dc.other : dc.conflict;
        this.visit(collapsedDerived);
        this.emit(inc, `${conjunction} because ${both(collapsedExt, ext)}, ${text}.`, numbered);
      } else {
        this.visit(derived);
        this.emit(inc, `${conjunction} because ${describe(ext, this.arch)}, ${text}.`, numbered);
      }
    } else {
      this.emit(inc, `Because ${both(conflict, other)}, ${text}.`, numbered);
    }
  }

  /** A derivation used once, from one external and one derived cause, reads fine inline. */
  private isCollapsible(inc: Conflict): boolean {
    if (this.derivations.get(inc)! > 1) return false;
    const { conflict, other } = inc.cause;
    if (isDerived(conflict) === isDerived(other)) return false;
    const complex = isDerived(conflict) ? conflict : other;
    return !this.lineNumbers.has(complex);
  }

  private isSingleLine(inc: Conflict): boolean {
    return !isDerived(inc.cause.conflict) && !isDerived(inc.cause.other);
  }
}
