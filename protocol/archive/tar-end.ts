/**
 * Where a tar's entries end, checked against its bytes. tar-stream skips zero blocks without a
 * word, so on its own it accepts a tar with no end-of-archive marker (a truncated one) and
 * reads entries placed after the marker, which tar itself never shows. This watches the
 * decompressed bytes from the end of the last entry's data on and notes where all-zero blocks
 * lie; the bytes of an entry's content are not looked at.
 */
import { UniError } from '../errors.js';
import { badEntry } from './rules.js';

const BLOCK = 512;
const ZERO = Buffer.alloc(BLOCK);

export class TarEnd {
  /** End of the last entry's data, a block boundary: what lies before it is not looked at. */
  private from = 0;
  private seen = 0;
  /** Runs [start, end) of all-zero blocks at or after `from`, in order. */
  private runs: Array<[number, number]> = [];
  /** Whether the part already seen of the block being read is all zero. */
  private zeroSoFar = true;

  /** Every decompressed byte, in order, before tar-stream parses it. */
  see(chunk: Buffer): void {
    const start = this.seen;
    this.seen += chunk.length;
    for (let pos = Math.max(start, this.from); pos < this.seen; ) {
      const blockStart = pos - (pos % BLOCK);
      const until = Math.min(blockStart + BLOCK, this.seen);
      if (pos === blockStart) this.zeroSoFar = true;
      if (this.zeroSoFar) this.zeroSoFar = chunk.compare(ZERO, 0, until - pos, pos - start, until - start) === 0;
      if (until === blockStart + BLOCK && this.zeroSoFar) this.addRun(blockStart);
      pos = until;
    }
  }

  private addRun(blockStart: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last && last[1] === blockStart) last[1] += BLOCK;
    else this.runs.push([blockStart, blockStart + BLOCK]);
  }

  /**
   * An entry whose header starts at `offset`. Only long-name headers may lie between the
   * previous entry and this one; a zero block there is the end of the archive.
   */
  entry(name: string, offset: number, type: string | null | undefined, size: number): void {
    if (this.runs.some(([s, e]) => s < offset && e > this.from)) {
      throw badEntry(name, 'comes after the tar end-of-archive marker (a zero block), where tar stops reading');
    }
    // tar-stream reads no content for a folder, whatever its size says.
    const dataEnd = offset + BLOCK + (type === 'directory' ? 0 : Math.ceil(size / BLOCK) * BLOCK);
    this.from = dataEnd;
    this.runs = this.runs.filter(([, e]) => e > dataEnd).map(([s, e]) => [Math.max(s, dataEnd), e]);
  }

  /** After the last byte: two zero blocks must follow the last entry, and nothing but zeros after them. */
  finish(): void {
    const run = this.runs[0];
    if (!run || run[0] !== this.from || run[1] - run[0] < 2 * BLOCK) {
      throw new UniError('bad_archive', 'archive is not a complete tar file: the end-of-archive marker (two zero blocks) does not follow its last entry');
    }
    if (run[1] !== this.seen) throw new UniError('bad_archive', 'archive has data after its tar end-of-archive marker');
  }
}
