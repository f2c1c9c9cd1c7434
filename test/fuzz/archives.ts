/**
 * Mutated package archives for fuzzing the archive reader: valid seed tars (ustar, pax and
 * GNU long names, links, folders, a manifest), changed in their tar header fields (size,
 * type, name, linkname, mode, checksum), given extra pax or GNU long-name headers, cut or
 * padded, then gzipped and changed again in their gzip bytes. Each input comes with the
 * chunk sizes it is fed in.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { buildTar, type TarEntry } from '../helpers/archive.js';

const BLOCK = 512;
const TOP = 'fz_1.0.0';
const MANIFEST = JSON.stringify({ Name: 'fz', Version: '1.0.0' });

/** One ustar header block, its checksum computed, for the headers tar-stream cannot write. */
export function rawHeader(name: string, type: string, size: number, linkname = ''): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('00000000000\0', 136, 'latin1');
  b.write(type, 156, 1, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  fixChecksum(b, 0);
  return b;
}

function fixChecksum(tar: Buffer, at: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + BLOCK; i += 1) sum += tar[i]!;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}

function padded(content: Buffer): Buffer {
  return Buffer.concat([content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK)]);
}

/** A GNU long-name ('L') or long-link ('K') header with its content, placed before an entry. */
export function gnuLong(type: 'L' | 'K', value: string): Buffer {
  const content = Buffer.from(`${value}\0`);
  return Buffer.concat([rawHeader('././@LongLink', type, content.length), padded(content)]);
}

/** A pax extended header ('x') holding `records` as written, lengths and all. */
export function paxHeader(records: string): Buffer {
  const content = Buffer.from(records);
  return Buffer.concat([rawHeader(`${TOP}/PaxHeader`, 'x', content.length), padded(content)]);
}

/** "len key=value\n" with the length that makes it right. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len += 1;
  return `${len}${body}`;
}

const END = Buffer.alloc(2 * BLOCK);

function entries(extra: TarEntry[]): TarEntry[] {
  return [
    { name: `${TOP}/`, type: 'directory' },
    { name: `${TOP}/package.manifest`, content: MANIFEST },
    { name: `${TOP}/sysroot/`, type: 'directory' },
    { name: `${TOP}/sysroot/usr/bin/app`, content: Buffer.from('\x7fELF not really'), mode: 0o755 },
    { name: `${TOP}/sysroot/bin`, type: 'symlink', linkname: 'usr/bin' },
    ...extra,
  ];
}

/** The tars every input starts from; each is a package the reader accepts. */
export async function seedTars(): Promise<Buffer[]> {
  const deep = `${TOP}/sysroot/${'long-folder-name/'.repeat(9)}`;
  const plain = await buildTar(entries([{ name: `${TOP}/README.md`, content: '# fz\n' }]));
  const pax = await buildTar(
    entries([
      { name: `${deep}file`, content: 'pax path' },
      { name: `${TOP}/sysroot/lib`, type: 'symlink', linkname: `${'long-folder-name/'.repeat(7)}file` },
      { name: `${TOP}/sysroot/etc/hosts`, type: 'symlink', linkname: '/usr/bin/app' },
    ]),
  );
  const many = await buildTar(entries(Array.from({ length: 12 }, (_, i) => ({ name: `${TOP}/sysroot/data/f${i}`, content: 'x'.repeat(i * 97) }))));
  // GNU long names, which tar-stream reads but does not write: built before the end marker.
  const gnuName = `${deep}gnu-file`;
  const gnuBody = Buffer.from('gnu long name');
  const gnu = Buffer.concat([
    plain.subarray(0, plain.length - END.length - trailingZeros(plain)),
    gnuLong('L', gnuName),
    rawHeader(gnuName.slice(0, 99), '0', gnuBody.length),
    padded(gnuBody),
    gnuLong('K', `${'long-folder-name/'.repeat(8)}gnu-file`),
    gnuLong('L', `${TOP}/sysroot/gnu-link`),
    rawHeader(`${TOP}/sysroot/gnu-link`, '2', 0, 'x'),
    END,
  ]);
  // Incompressible bytes at the end: a refusal near the start leaves far more than the 16 KiB
  // of the streams' buffers unread, where the reader once lost its own error.
  const noise = await buildTar(entries([{ name: `${TOP}/sysroot/noise`, content: randomBytes(256 * 1024) }]));
  return [plain, pax, many, gnu, noise];
}

/** Zero bytes at the end beyond the two-block marker (tar-stream pads to a record). */
function trailingZeros(tar: Buffer): number {
  let end = tar.length;
  while (end > 0 && tar[end - 1] === 0) end -= 1;
  const zeros = tar.length - end;
  return Math.max(0, zeros - (zeros % BLOCK) - END.length);
}

/** Offsets of the header blocks, walking sizes as tar does, stopping at a zero block or nonsense. */
export function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + BLOCK <= tar.length && out.length < 10_000; ) {
    if (tar.subarray(at, at + BLOCK).every((b) => b === 0)) break;
    out.push(at);
    const size = parseInt(tar.toString('latin1', at + 124, at + 136).replace(/\0.*$/s, '').trim(), 8);
    if (!Number.isFinite(size) || size < 0) break;
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

const FIELDS = {
  name: [0, 100],
  mode: [100, 8],
  size: [124, 12],
  checksum: [148, 8],
  type: [156, 1],
  linkname: [157, 100],
  magic: [257, 8],
  prefix: [345, 155],
} as const;
type Field = keyof typeof FIELDS;

const segment = fc.oneof(
  fc.constantFrom('..', '.', '', 'sysroot', TOP, 'usr', 'bin', 'etc', 'é', '\0', 'a'.repeat(120), 'b'.repeat(256)),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const pathText = fc.array(segment, { minLength: 1, maxLength: 12 }).chain((segs) =>
  fc.constantFrom(segs.join('/'), `/${segs.join('/')}`, `${TOP}/${segs.join('/')}`, `${TOP}/sysroot/${segs.join('/')}`, `${'../'.repeat(segs.length)}etc`),
);
const sizeText = fc.oneof(
  fc.nat({ max: 1 << 20 }).map((n) => `${n.toString(8).padStart(11, '0')}\0`),
  fc.constantFrom('77777777777\0', '00000000000\0', '\x80\0\0\0\0\0\0\0\xff\xff\xff\xff', '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'zzzzzzzzzzz\0', ''),
);
const typeText = fc.oneof(fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'D', 'V', 'A', '\0'), fc.string({ minLength: 1, maxLength: 1 }));

export type TarMutation =
  | { kind: 'field'; header: number; field: Field; value: string; checksum: boolean }
  | { kind: 'pax'; header: number; records: string }
  | { kind: 'gnu'; header: number; type: 'L' | 'K'; value: string }
  | { kind: 'cut'; at: number }
  | { kind: 'block'; at: number; op: 'drop' | 'repeat' | 'zero' };

const field: fc.Arbitrary<TarMutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), header: fc.nat(), field: fc.constant('size' as Field), value: sizeText, checksum: fc.boolean() }),
  fc.record({ kind: fc.constant('field' as const), header: fc.nat(), field: fc.constant('type' as Field), value: typeText, checksum: fc.boolean() }),
  fc.record({ kind: fc.constant('field' as const), header: fc.nat(), field: fc.constantFrom<Field>('name', 'linkname', 'prefix'), value: pathText, checksum: fc.boolean() }),
  fc.record({
    kind: fc.constant('field' as const),
    header: fc.nat(),
    field: fc.constantFrom<Field>('mode', 'checksum', 'magic'),
    value: fc.string({ maxLength: 12 }),
    checksum: fc.boolean(),
  }),
);
const paxRecords = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constantFrom('path', 'linkpath'), pathText).map(([k, v]) => paxRecord(k, v)),
      fc.tuple(fc.constant('size'), fc.oneof(fc.nat({ max: 1 << 22 }).map(String), fc.constantFrom('-1', '1e9', 'x', '99999999999999999999'))).map(([k, v]) => paxRecord(k, v)),
      fc.string({ maxLength: 40 }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((r) => r.join(''));

export const tarMutation: fc.Arbitrary<TarMutation> = fc.oneof(
  { weight: 5, arbitrary: field },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pax' as const), header: fc.nat(), records: paxRecords }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('gnu' as const), header: fc.nat(), type: fc.constantFrom<'L' | 'K'>('L', 'K'), value: pathText }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), at: fc.nat(), op: fc.constantFrom<'drop' | 'repeat' | 'zero'>('drop', 'repeat', 'zero') }) },
);

export function mutateTar(tar: Buffer, m: TarMutation): Buffer {
  const heads = headerOffsets(tar);
  switch (m.kind) {
    case 'field': {
      if (heads.length === 0) return tar;
      const at = heads[m.header % heads.length]!;
      const [start, len] = FIELDS[m.field];
      const out = Buffer.from(tar);
      out.fill(0, at + start, at + start + len);
      out.write(m.value, at + start, len, 'latin1');
      if (m.checksum && m.field !== 'checksum') fixChecksum(out, at);
      return out;
    }
    case 'pax':
    case 'gnu': {
      const at = heads.length === 0 ? 0 : heads[m.header % heads.length]!;
      const insert = m.kind === 'pax' ? paxHeader(m.records) : gnuLong(m.type, m.value);
      return Buffer.concat([tar.subarray(0, at), insert, tar.subarray(at)]);
    }
    case 'cut':
      return tar.subarray(0, m.at % (tar.length + 1));
    case 'block': {
      const blocks = Math.floor(tar.length / BLOCK);
      if (blocks === 0) return tar;
      const at = (m.at % blocks) * BLOCK;
      const block = tar.subarray(at, at + BLOCK);
      if (m.op === 'drop') return Buffer.concat([tar.subarray(0, at), tar.subarray(at + BLOCK)]);
      if (m.op === 'repeat') return Buffer.concat([tar.subarray(0, at + BLOCK), block, tar.subarray(at + BLOCK)]);
      const out = Buffer.from(tar);
      out.fill(0, at, at + BLOCK);
      return out;
    }
  }
}

export type GzipMutation = { kind: 'set'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'append'; bytes: Uint8Array };

export const gzipMutation: fc.Arbitrary<GzipMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
);

export function mutateGzip(gz: Buffer, m: GzipMutation): Buffer {
  if (gz.length === 0) return gz;
  switch (m.kind) {
    case 'set': {
      const out = Buffer.from(gz);
      out[m.at % out.length] = m.value;
      return out;
    }
    case 'cut':
      return gz.subarray(0, m.at % gz.length);
    case 'append':
      return Buffer.concat([gz, m.bytes]);
  }
}

/** One fuzz input: which seed, what was done to it, and how it is fed. */
export interface FuzzCase {
  seed: number;
  tar: TarMutation[];
  gzip: GzipMutation[];
  chunks: number[];
}

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  seed: fc.nat(),
  tar: fc.array(tarMutation, { maxLength: 3 }),
  gzip: fc.array(gzipMutation, { maxLength: 2 }),
  chunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 70_000 })), { minLength: 1, maxLength: 6 }),
});

/** The gzipped bytes of a case. */
export function archiveOf(seeds: readonly Buffer[], c: FuzzCase): Buffer {
  let tar = seeds[c.seed % seeds.length]!;
  for (const m of c.tar) tar = mutateTar(tar, m);
  let gz: Buffer = gzipSync(tar, { level: 1 });
  for (const m of c.gzip) gz = mutateGzip(gz, m);
  return gz;
}

/**
 * The bytes in the case's chunk sizes, cycling through them, in at most 2,000 chunks: a
 * stream in 1-byte chunks takes about 0.1 ms a chunk however it is read, which for the larger
 * seeds would be half a minute of nothing but overhead.
 */
export async function* fed(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  const floor = Math.ceil(bytes.length / 2000);
  for (let at = 0, i = 0; at < bytes.length; i += 1) {
    const size = Math.max(floor, sizes[i % sizes.length]!);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}
