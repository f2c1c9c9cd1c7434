/**
 * The dependency graph as an SVG drawn on the server: one row per depth, the root on top,
 * each package a box linking to its version page. Colours come from the stylesheet (classes,
 * no inline style), so the drawing follows the light or dark scheme.
 */
import type { DependencyGraph, GraphNode } from './closure.js';
import { html, type Html, versionPath, packagePath } from './html.js';

const CHAR_W = 7.4;
const BOX_H = 28;
const ROW_GAP = 46;
const COL_GAP = 14;
const PAD = 8;

interface Placed {
  node: GraphNode;
  label: string;
  x: number;
  y: number;
  w: number;
}

function labelOf(n: GraphNode): string {
  return `${n.name}@${n.version ?? '?'}`;
}

/**
 * Each package one row below the lowest package that needs it (longest path from the root), so
 * that edges point down; a cycle stops the relaxation after as many rounds as there are packages.
 */
function rowsOf(graph: DependencyGraph): Map<string, number> {
  const row = new Map(graph.nodes.map((n) => [n.name, n.depth]));
  for (let round = 0; round < graph.nodes.length; round += 1) {
    let moved = false;
    for (const e of graph.edges) {
      const from = row.get(e.from);
      const to = row.get(e.to);
      if (from !== undefined && to !== undefined && to <= from && e.to !== graph.nodes[0]?.name) {
        row.set(e.to, from + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return row;
}

function layout(graph: DependencyGraph): { placed: Map<string, Placed>; width: number; height: number } {
  const rows = new Map<number, GraphNode[]>();
  const rowOf = rowsOf(graph);
  for (const n of graph.nodes) {
    const r = rowOf.get(n.name)!;
    rows.set(r, [...(rows.get(r) ?? []), n]);
  }
  const widths = new Map<number, number>();
  const boxes = new Map<string, number>();
  for (const [depth, row] of rows) {
    row.sort((a, b) => a.name.localeCompare(b.name));
    let total = 0;
    for (const n of row) {
      const w = Math.max(90, Math.ceil(labelOf(n).length * CHAR_W) + 16);
      boxes.set(n.name, w);
      total += w;
    }
    widths.set(depth, total + COL_GAP * (row.length - 1));
  }
  const width = Math.max(...widths.values()) + 2 * PAD;
  const placed = new Map<string, Placed>();
  for (const [depth, row] of rows) {
    let x = (width - widths.get(depth)!) / 2;
    for (const n of row) {
      const w = boxes.get(n.name)!;
      placed.set(n.name, { node: n, label: labelOf(n), x, y: PAD + depth * (BOX_H + ROW_GAP), w });
      x += w + COL_GAP;
    }
  }
  const last = Math.max(...rows.keys());
  const height = PAD * 2 + (last + 1) * BOX_H + last * ROW_GAP;
  return { placed, width, height };
}

function edgePath(a: Placed, b: Placed, all: Placed[]): string {
  const x1 = a.x + a.w / 2;
  const x2 = b.x + b.w / 2;
  // A neighbouring row: straight down. An edge that skips rows would cross the boxes between, so it bends out to the side like one going back up.
  if (b.y > a.y && b.y - a.y <= BOX_H + ROW_GAP) {
    const y1 = a.y + BOX_H;
    const y2 = b.y - 2;
    const mid = (y1 + y2) / 2;
    return `M${x1.toFixed(1)} ${y1} C${x1.toFixed(1)} ${mid} ${x2.toFixed(1)} ${mid} ${x2.toFixed(1)} ${y2}`;
  }
  const y1 = a.y + BOX_H / 2;
  const y2 = b.y + BOX_H / 2;
  const top = Math.min(a.y, b.y);
  const bottom = Math.max(a.y, b.y);
  const side = Math.max(...all.filter((p) => p.y >= top && p.y <= bottom).map((p) => p.x + p.w)) + 30;
  return `M${(a.x + a.w).toFixed(1)} ${y1} C${side.toFixed(1)} ${y1} ${side.toFixed(1)} ${y2} ${(b.x + b.w + 2).toFixed(1)} ${y2}`;
}

export function graphSvg(graph: DependencyGraph, arch: string, rootName: string): Html {
  const { placed, width, height } = layout(graph);
  const edges = graph.edges
    .filter((e) => placed.has(e.from) && placed.has(e.to))
    .map((e) => html`<path class="edge" d="${edgePath(placed.get(e.from)!, placed.get(e.to)!, [...placed.values()])}" marker-end="url(#arrow)"><title>${e.from} requires ${e.to} ${e.range}</title></path>`);
  const nodes = [...placed.values()].map((p) => {
    const cls = p.node.name === rootName ? 'node root' : p.node.version === null ? 'node missing' : 'node';
    const href = p.node.version === null ? packagePath(p.node.name) : versionPath(p.node.name, p.node.version, arch);
    return html`<a href="${href}" class="${cls}" aria-label="${p.label}"><rect x="${p.x.toFixed(1)}" y="${p.y}" width="${p.w}" height="${BOX_H}" rx="4"></rect><text x="${(p.x + p.w / 2).toFixed(1)}" y="${p.y + BOX_H / 2 + 4}" text-anchor="middle">${p.label}</text></a>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Math.ceil(width + 40)} ${height}" width="${Math.ceil(width + 40)}" height="${height}" role="group" aria-label="Dependency graph of ${rootName} for ${arch}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0 0 L10 5 L0 10 z"></path></marker></defs>
${edges}${nodes}</svg>`;
}
