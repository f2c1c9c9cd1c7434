/**
 * `node dist/bench/client-extract-one.js <archive> <dest>`: the client's extraction alone
 * (the shared reader with its safety rules, synchronous writes, read-only tree), as
 * `uni pkg get` runs it, for the benchmark to time beside `tar xzf`.
 */
import { createReadStream } from 'node:fs';
import { readArchive } from '../schemas/archive/read.js';
import { TreeWriter } from '../client/cache/tree.js';

const [archive, dest] = process.argv.slice(2);
const writer = new TreeWriter(dest!);
const contents = await readArchive(createReadStream(archive!, { highWaterMark: 1 << 20 }), { visitor: writer });
writer.finish({ digest: 'sha256:bench', name: 'bench', version: '0.0.0', arch: 'x86_64' }, contents.topFolder);
