/**
 * `node dist/bench/client-extract-one.js <archive> <dest>`: the client's extraction alone
 * (the shared reader with its safety rules, synchronous writes, read-only tree), as
 * `uni pkg get` runs it, for the benchmark to time beside `tar xzf`. Prints the milliseconds
 * the extraction took, from the first byte read to the tree ready, without node's start.
 */
import { createReadStream } from 'node:fs';
import { TreeWriter } from '../client/cache/tree.js';

// The reader is loaded before the clock starts: module loading is process start, not extraction.
const { readArchive } = await import('../protocol/archive/read.js');
const [archive, dest] = process.argv.slice(2);
const started = process.hrtime.bigint();
const writer = new TreeWriter(dest!);
const contents = await readArchive(createReadStream(archive!, { highWaterMark: 1 << 20 }), { visitor: writer });
await writer.finish({ digest: 'sha256:bench', name: 'bench', version: '0.0.0', arch: 'x86_64' }, contents.topFolder);
process.stdout.write(`${Number(process.hrtime.bigint() - started) / 1e6}\n`);
