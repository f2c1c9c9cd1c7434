/**
 * A set of versions of one package, as a bitset over that package's sorted version list
 * (its universe). Membership of a version in a range is decided once, by `semver`, when the
 * set is built; after that every term operation is a few word-wide bit operations (on plain
 * arrays: small typed arrays cost more to allocate than they save), which is
 * what makes propagation cheap on packages with hundreds of versions.
 */
export class VersionSet {
  /** The one member when there is exactly one, -1 otherwise; -2 until first asked. */
  private singleCache = -2;

  private constructor(
    readonly size: number,
    private readonly words: number[],
  ) {}

  static empty(size: number): VersionSet {
    return new VersionSet(size, new Array<number>(Math.ceil(size / 32) || 1).fill(0));
  }

  static full(size: number): VersionSet {
    const set = VersionSet.empty(size);
    for (let i = 0; i < size; i++) set.words[i >>> 5]! |= 1 << (i & 31);
    return set;
  }

  static of(size: number, indices: Iterable<number>): VersionSet {
    const set = VersionSet.empty(size);
    for (const i of indices) set.words[i >>> 5]! |= 1 << (i & 31);
    return set;
  }

  static range(size: number, from: number, to: number): VersionSet {
    const set = VersionSet.empty(size);
    for (let i = from; i <= to; i++) set.words[i >>> 5]! |= 1 << (i & 31);
    return set;
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  isEmpty(): boolean {
    for (const w of this.words) if (w !== 0) return false;
    return true;
  }

  isFull(): boolean {
    return this.count() === this.size;
  }

  count(): number {
    let n = 0;
    for (let w of this.words) {
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }

  /** The only member, or -1: a decided package's set, which makes relations one bit test. */
  single(): number {
    if (this.singleCache === -2) this.singleCache = this.count() === 1 ? this.highest() : -1;
    return this.singleCache;
  }

  /** |this ∩ other|, without building the intersection. */
  countWith(other: VersionSet): number {
    let n = 0;
    for (let k = 0; k < this.words.length; k++) {
      let w = this.words[k]! & other.words[k]!;
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }

  /** Highest member, or -1 when empty: versions are sorted ascending, so this is the newest. */
  highest(): number {
    for (let k = this.words.length - 1; k >= 0; k--) {
      const w = this.words[k]!;
      if (w !== 0) return k * 32 + 31 - Math.clz32(w);
    }
    return -1;
  }

  intersect(other: VersionSet): VersionSet {
    const out = new Array<number>(this.words.length);
    for (let k = 0; k < out.length; k++) out[k] = this.words[k]! & other.words[k]!;
    return new VersionSet(this.size, out);
  }

  union(other: VersionSet): VersionSet {
    const out = new Array<number>(this.words.length);
    for (let k = 0; k < out.length; k++) out[k] = this.words[k]! | other.words[k]!;
    return new VersionSet(this.size, out);
  }

  minus(other: VersionSet): VersionSet {
    const out = new Array<number>(this.words.length);
    for (let k = 0; k < out.length; k++) out[k] = this.words[k]! & ~other.words[k]!;
    return new VersionSet(this.size, out);
  }

  /** this ⊆ other */
  subsetOf(other: VersionSet): boolean {
    for (let k = 0; k < this.words.length; k++) if ((this.words[k]! & ~other.words[k]!) !== 0) return false;
    return true;
  }

  disjointFrom(other: VersionSet): boolean {
    for (let k = 0; k < this.words.length; k++) if ((this.words[k]! & other.words[k]!) !== 0) return false;
    return true;
  }

  equals(other: VersionSet): boolean {
    for (let k = 0; k < this.words.length; k++) if (this.words[k] !== other.words[k]) return false;
    return true;
  }

  /** Maximal runs of consecutive members, as inclusive [from, to] index pairs. */
  runs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let start = -1;
    for (let i = 0; i <= this.size; i++) {
      const inSet = i < this.size && this.has(i);
      if (inSet && start < 0) start = i;
      if (!inSet && start >= 0) {
        out.push([start, i - 1]);
        start = -1;
      }
    }
    return out;
  }
}
