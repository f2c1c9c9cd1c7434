/**
 * docs/client.md lists every command and every flag: checked against the program's own
 * command tree (so that a command anyone adds is caught), and against what `uni --help`
 * and each group's help print.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../client/cli/program.js';
import { everyCommand } from '../../protocol/cli.js';
import { buildServerProgram } from '../../server/cli/program.js';
import { requireBuild, ROOT, uni } from '../e2e/harness.js';

const DOC = readFileSync(join(ROOT, 'docs/client.md'), 'utf8');
/** Flags every command has, described once at the top of the reference. */
const EVERYWHERE = new Set(['--help', '--debug']);

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The commands that do something: a group such as `uni pkg` only holds others and has no
 * options of its own, while `uni serve` runs and holds `gc` and `scrub` too.
 */
function leaves(program: Command): Command[] {
  return everyCommand(program).filter((c) => c.parent !== null && (c.commands.length === 0 || c.options.some((o) => !EVERYWHERE.has(o.long!))));
}

/** The text of the reference section of `uni <path>`, from its heading to the next one. */
function section(path: string): string | undefined {
  const m = new RegExp(`^### \`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: [^\`]*)?\`$`, 'm').exec(DOC);
  if (!m) return undefined;
  const rest = DOC.slice(m.index + m[0].length);
  return rest.slice(0, rest.search(/^##/m) === -1 ? undefined : rest.search(/^##/m));
}

const commands = [...leaves(buildProgram()), ...leaves(buildServerProgram())];

describe('docs/client.md', () => {
  it.each(commands.map((c) => [pathOf(c), c] as const))('documents %s with every flag', (path, cmd) => {
    const text = section(path);
    expect(text, `docs/client.md has no "### \`${path}\`" section`).toBeDefined();
    for (const o of cmd.options) {
      if (EVERYWHERE.has(o.long!)) continue;
      expect(text, `${path}: ${o.flags} is not in its section`).toContain(`\`${o.flags}\``);
    }
  });

  it('documents no command that does not exist', () => {
    const known = new Set(commands.map(pathOf));
    const headings = [...DOC.matchAll(/^### `(uni [a-z -]+?)(?: [<[][^`]*)?`$/gm)].map((m) => m[1]!.trim());
    expect(headings.length).toBe(known.size);
    for (const h of headings) expect(known, `docs/client.md documents "${h}"`).toContain(h);
  });

  it('lists what uni --help and each group\'s help print', async () => {
    requireBuild();
    const env = { home: '/nonexistent', registry: 'http://127.0.0.1:9' };
    const groups = [[], ['pkg'], ['token'], ['cache'], ['mirror']];
    for (const group of groups) {
      const r = await uni([...group, '--help'], env);
      expect(r.code, r.stderr).toBe(0);
      const listed = r.stdout.slice(r.stdout.indexOf('Commands:')).split('\n').slice(1);
      const names = listed.map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined && n !== 'help');
      expect(names.length, r.stdout).toBeGreaterThan(0);
      for (const name of names) {
        const path = ['uni', ...group, name].join(' ');
        const isGroup = commands.some((c) => pathOf(c).startsWith(`${path} `));
        expect(isGroup || section(path) !== undefined, `${path}, listed by uni ${group.join(' ')} --help, is not in docs/client.md`).toBe(true);
      }
    }
  });
});

describe('every command\'s help', () => {
  it('names the environment variables it reads and the default registry', async () => {
    requireBuild();
    const env = { home: '/nonexistent', registry: 'http://127.0.0.1:9' };
    const all = [buildProgram(), buildServerProgram()].flatMap((p) => everyCommand(p).filter((c) => c.parent !== null));
    // Four at a time: thirty-odd node starts one after the other are slow on a busy machine.
    for (let i = 0; i < all.length; i += 4) {
      await Promise.all(
        all.slice(i, i + 4).map(async (cmd) => {
          const path = pathOf(cmd).split(' ').slice(1);
          const r = await uni([...path, '--help'], env);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout, `uni ${path.join(' ')} --help`).toContain('Environment:');
          expect(r.stdout, `uni ${path.join(' ')} --help`).toContain('http://127.0.0.1:7878');
          expect(r.stdout, `uni ${path.join(' ')} --help`).toMatch(/UNI_HOME/);
        }),
      );
    }
  }, 240_000);
});
