/**
 * Where the archive's symbolic links lead when followed as a file system follows them: each
 * link met on the way is replaced by where it leads. The lexical check (rules.ts) sees each
 * target alone, so `d/b -> ../..` and then `d/a -> b/../../../etc` both pass it, yet `d/a`,
 * followed on the host, goes through `b` and climbs out of the tree. A link is checked here
 * against the links seen before it, and `finish` checks them all again once every link is
 * known (a link may go through one that comes later in the archive).
 *
 * Positions are nodes of a trie of the links' paths plus a count of further unnamed folders:
 * no link lies below a path the trie lacks, so a walk costs one map lookup per segment, and
 * a link already resolved is reused, whatever the length of the chains.
 */
import { UniError } from '../errors.js';
import { badEntry, SYSROOT } from './rules.js';

const MAX_LINK_HOPS = 40;
const TOP = 0;

interface Node {
  parent: number;
  depth: number;
  link?: { entry: string; target: string };
  /** Where the link leads, once known; `null` while being worked out (a loop, if met again). */
  landing?: Landing | null;
}

interface Landing {
  node: number;
  /** Folders below `node` that hold no link, so that the trie need not name them. */
  extra: number;
  /** The walk went through an absolute target: it stands in the image root and may not climb above sysroot/. */
  inImage: boolean;
}

export class LinkGraph {
  private readonly nodes: Node[] = [{ parent: -1, depth: 0 }];
  private readonly children = new Map<string, number>();
  private readonly sysroot: number;

  constructor() {
    this.sysroot = this.child(TOP, SYSROOT, true)!;
  }

  /** A link at `path` (segments below the top folder); refused if, followed, it leaves sysroot/. */
  add(entry: string, path: readonly string[], target: string): void {
    let node = TOP;
    for (const seg of path) node = this.child(node, seg, true)!;
    this.nodes[node]!.link = { entry, target };
    this.landing(node, 0);
  }

  /** Every link again, now that all are known. */
  finish(): void {
    for (const n of this.nodes) if (n.link) delete n.landing;
    for (let id = 0; id < this.nodes.length; id += 1) if (this.nodes[id]!.link) this.landing(id, 0);
  }

  private child(node: number, seg: string, create: boolean): number | undefined {
    const key = `${node}/${seg}`;
    let id = this.children.get(key);
    if (id === undefined && create) {
      id = this.nodes.length;
      this.nodes.push({ parent: node, depth: this.nodes[node]!.depth + 1 });
      this.children.set(key, id);
    }
    return id;
  }

  private landing(id: number, hops: number): Landing {
    const node = this.nodes[id]!;
    const { entry, target } = node.link!;
    if (node.landing === null || hops > MAX_LINK_HOPS) {
      throw new UniError('bad_archive', `archive entry "${entry}" is a symbolic link whose chain of links loops or is more than ${MAX_LINK_HOPS} links long`);
    }
    if (node.landing) return node.landing;
    node.landing = null;
    const absolute = target.startsWith('/');
    const at: Landing = { node: absolute ? this.sysroot : node.parent, extra: 0, inImage: absolute };
    const escapes = (): UniError =>
      badEntry(entry, `is a symbolic link to "${target}", which, followed through the archive's other links, leaves ${at.inImage ? 'the image root' : 'the top folder'}`);
    for (const seg of target.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (at.extra > 0) at.extra -= 1;
        else if (this.nodes[at.node]!.depth <= (at.inImage ? 1 : 0)) throw escapes();
        else at.node = this.nodes[at.node]!.parent;
        continue;
      }
      const next = at.extra > 0 ? undefined : this.child(at.node, seg, false);
      if (next === undefined) {
        at.extra += 1;
        continue;
      }
      at.node = next;
      if (this.nodes[next]!.link) {
        const via = this.landing(next, hops + 1);
        at.node = via.node;
        at.extra = via.extra;
        at.inImage ||= via.inImage;
      }
    }
    if (!this.inSysroot(at)) throw badEntry(entry, `is a symbolic link to "${target}", which, followed through the archive's other links, points outside ${SYSROOT}/`);
    node.landing = at;
    return at;
  }

  private inSysroot(at: Landing): boolean {
    let id = at.node;
    while (this.nodes[id]!.depth > 1) id = this.nodes[id]!.parent;
    return id === this.sysroot;
  }
}
