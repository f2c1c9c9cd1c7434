/** The UI's one stylesheet, served as /static/ui-<hash>.css (assets.ts): no inline styles, so the CSP needs no 'unsafe-inline'. */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --soft: #f3f5f7;
  --accent: #0b5cad; --accent-fg: #ffffff; --warn-bg: #fff4d6; --warn-fg: #6b4a00;
  --bad-bg: #ffe3e3; --bad-fg: #8a1c1c; --ok: #1a7f37; --code: #eef1f4; --focus: #0b5cad;
  --node: #e8f0fa; --node-line: #7ea6d8;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --fg: #e3e7ec; --muted: #9aa4af; --line: #2e3640; --soft: #171c22;
    --accent: #6cb0ff; --accent-fg: #0f1318; --warn-bg: #3a2e0b; --warn-fg: #f5d27a;
    --bad-bg: #44191b; --bad-fg: #ffb3b3; --ok: #56d364; --code: #1d232b; --focus: #6cb0ff;
    --node: #17283c; --node-line: #3f6fa6;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
a { color: var(--accent); text-decoration: underline; text-decoration-thickness: 1px; text-underline-offset: 2px; }
a:hover { text-decoration-thickness: 2px; }
.brand, .tabs a, .bar nav a, .graph a { text-decoration: none; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
code { background: var(--code); padding: 0.05em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 0.6em 0.8em; border-radius: 4px; overflow-x: auto; }
h1 { font-size: 1.45rem; margin: 0.2em 0 0.3em; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.6em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.2em 0 0.4em; }
.skip { position: absolute; left: -999px; top: 0; background: var(--accent); color: var(--accent-fg); padding: 0.4em 0.8em; }
.skip:focus { left: 0.5em; z-index: 2; }
header.top { border-bottom: 1px solid var(--line); background: var(--soft); }
.bar { max-width: 1100px; margin: 0 auto; padding: 0.5em 1em; display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: center; }
.brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); margin-right: auto; }
.bar nav { display: flex; gap: 1em; align-items: center; }
.bar nav form { margin: 0; }
form.search { display: flex; gap: 0.4em; flex: 1 1 22em; max-width: 32em; }
form.search input[type=search] { flex: 1; min-width: 0; }
input, select, button, textarea { font: inherit; color: inherit; }
input[type=search], input[type=password], input[type=text], select {
  background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 0.35em 0.5em;
}
button, .button {
  background: var(--accent); color: var(--accent-fg); border: 1px solid var(--accent); border-radius: 4px;
  padding: 0.35em 0.8em; cursor: pointer; display: inline-block;
}
button.quiet, .linkish { background: transparent; color: var(--accent); border-color: var(--line); }
.linkish { border: 0; padding: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1em; }
footer { max-width: 1100px; margin: 2em auto 1em; padding: 0 1em; color: var(--muted); font-size: 0.85rem; }
.muted { color: var(--muted); }
.lede { color: var(--muted); margin: 0 0 0.8em; overflow-wrap: anywhere; }
.crumbs { font-size: 0.9rem; color: var(--muted); overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.75rem; padding: 0.05em 0.45em; border-radius: 999px; border: 1px solid var(--line); color: var(--muted); vertical-align: middle; white-space: nowrap; }
.badge.private { border-color: var(--warn-fg); color: var(--warn-fg); }
.badge.yanked { background: var(--bad-bg); color: var(--bad-fg); border-color: transparent; }
.notice { background: var(--warn-bg); color: var(--warn-fg); padding: 0.6em 0.8em; border-radius: 4px; margin: 0.8em 0; overflow-wrap: anywhere; }
.error { background: var(--bad-bg); color: var(--bad-fg); padding: 0.6em 0.8em; border-radius: 4px; margin: 0.8em 0; overflow-wrap: anywhere; }
.stats { display: flex; flex-wrap: wrap; gap: 0.5em 2em; margin: 0.8em 0; padding: 0; list-style: none; }
.stats strong { font-size: 1.3rem; display: block; }
.copy { display: flex; gap: 0.4em; align-items: stretch; margin: 0.6em 0; flex-wrap: wrap; }
.copy code { padding: 0.4em 0.6em; flex: 1 1 auto; min-width: 0; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0 2em; }
@media (min-width: 900px) { .grid.two { grid-template-columns: minmax(0, 2.2fr) minmax(0, 1fr); } }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.3em 0.6em 0.3em 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 0.85rem; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.yanked td:first-child a { text-decoration: line-through; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { padding: 0.35em 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
ul.inline { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.1em 0.8em; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.25em 1em; margin: 0.5em 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.tabs { display: flex; gap: 0.3em; flex-wrap: wrap; margin: 0.8em 0; padding: 0; list-style: none; }
.tabs a { display: block; padding: 0.25em 0.8em; border: 1px solid var(--line); border-radius: 4px; }
.tabs a[aria-current=page] { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 1.1em; }
.tree { padding-left: 0; font-size: 0.9rem; }
.tree li { padding: 0.05em 0; }
.tree summary { cursor: pointer; }
.tree .entry { display: inline-flex; flex-wrap: wrap; gap: 0 1em; overflow-wrap: anywhere; }
.tree .meta { color: var(--muted); white-space: nowrap; }
.graph { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; padding: 0.5em; background: var(--soft); }
.graph svg { display: block; max-width: 100%; height: auto; }
.graph .node rect { fill: var(--node); stroke: var(--node-line); }
.graph .node.root rect { stroke: var(--accent); stroke-width: 2; }
.graph .node.missing rect { fill: var(--bad-bg); stroke: var(--bad-fg); }
.graph .node text { fill: var(--fg); font: 12px ui-monospace, Menlo, Consolas, monospace; }
.graph .edge { stroke: var(--muted); fill: none; }
.graph .arrow { fill: var(--muted); }
.graph a:focus-visible rect { stroke: var(--focus); stroke-width: 3; }
.nowrap { white-space: nowrap; }
.pager { display: flex; gap: 1em; margin: 1em 0; }
form.inline { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center; margin: 0.5em 0; }
form.inline input[type=text] { flex: 1 1 14em; }
form.stack { display: grid; gap: 0.5em; max-width: 32em; }
label { font-weight: 600; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  main { padding: 0.7em; }
  .hide-narrow { display: none; }
  form.search { order: 3; flex-basis: 100%; max-width: none; }
}
`;
