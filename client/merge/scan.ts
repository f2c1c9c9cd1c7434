import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UniError } from '../../protocol/errors.js';

/** What one host path contributes to the image; a file carries what the JSON output records. */
export type Entry =
  | { kind: 'file'; host: string; mode: number; size: number; sha256: string }
  | { kind: 'symlink'; target: string }
  | { kind: 'dir' };

/** An entry found under a scanned folder, `rel` being its path from that folder with '/' between names. */
export interface Scanned {
  rel: string;
  entry: Entry;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * File names are bytes; the manifest is UTF-8 text. Node would turn bad bytes into U+FFFD and
 * the image would name a file that does not exist, so such a name is refused here.
 */
function decodeName(raw: Buffer, where: string): string {
  try {
    return utf8.decode(raw);
  } catch {
    const shown = [...raw].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    throw new UniError('bad_name', `the name "${shown}" in ${where} is not valid UTF-8; rename it, the image manifest can only name files in UTF-8`);
  }
}

/** What an index already says of a file: the archive's mode and the content's hash. */
export interface KnownFile {
  mode: number;
  size: number;
  sha256: string;
}

/**
 * Regular files, folders and symbolic links (not followed); anything else is refused by name.
 * A file that `known` describes at its current size is not read again.
 */
export async function describeHostPath(host: string, followLinks: boolean, known?: KnownFile): Promise<Entry> {
  const st = followLinks ? await stat(host) : await lstat(host);
  if (st.isSymbolicLink()) return { kind: 'symlink', target: decodeName(await readlink(host, { encoding: 'buffer' }), `the link ${host}`) };
  if (st.isDirectory()) return { kind: 'dir' };
  if (st.isFile() && known !== undefined && known.size === st.size) {
    return { kind: 'file', host, mode: known.mode, size: st.size, sha256: known.sha256 };
  }
  if (st.isFile()) return { kind: 'file', host, mode: st.mode & 0o7777, size: st.size, sha256: await sha256File(host) };
  throw new UniError('bad_file', `${host} is neither a regular file, a folder nor a symbolic link; an image cannot hold it`);
}

/**
 * Every entry under `root` (not `root` itself), parents before children, names in byte order
 * so that the result is the same on every machine. `known` maps paths below `root` to what an
 * index says of them.
 */
export async function scanFolder(root: string, known: ReadonlyMap<string, KnownFile> = new Map()): Promise<Scanned[]> {
  const out: Scanned[] = [];
  const walk = async (folder: string, rel: string): Promise<void> => {
    const raw = await readdir(folder, { encoding: 'buffer' });
    raw.sort(Buffer.compare);
    for (const bytes of raw) {
      const name = decodeName(bytes, folder);
      const host = join(folder, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const entry = await describeHostPath(host, false, known.get(path));
      out.push({ rel: path, entry });
      if (entry.kind === 'dir') await walk(host, path);
    }
  };
  await walk(root, '');
  return out;
}
