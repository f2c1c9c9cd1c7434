/**
 * What the registry holds, page by page: `uni pkg search [text]` and `uni pkg list --remote`
 * (ops's `ops pkg list`) print the same rows. An empty answer says so, as ops does.
 */
import type { Command } from 'commander';
import { intArg, userArg } from '../../../protocol/cli.js';
import { parseArch } from '../../../protocol/names.js';
import type { SearchPage } from '../../registry/client.js';
import { printJson, printLines, table, warn } from './output.js';

/** The server answers at most this many rows a page. */
const PAGE_MAX = 100;

export interface ListingOptions {
  registry?: string;
  json?: boolean;
  arch?: string;
  limit: number;
  all?: boolean;
  cursor?: string;
}

/** The paging options both commands take. */
export function withListingOptions(cmd: Command): Command {
  return cmd
    .option('--arch <arch>', 'only packages built for this architecture')
    .option('--limit <n>', 'at most this many packages', intArg('--limit', 1, Number.MAX_SAFE_INTEGER), 50)
    .option('--all', 'every package, however many pages that takes')
    .option('--cursor <cursor>', 'continue where an earlier listing stopped (it prints the cursor)');
}

export async function printListing(text: string, opts: ListingOptions, again: string): Promise<void> {
  const arch = userArg(parseArch, opts.arch);
  const { commandSession } = await import('./session.js');
  const s = commandSession(opts);
  const rows: SearchPage['results'] = [];
  let cursor = opts.cursor;
  do {
    const want = opts.all ? PAGE_MAX : Math.min(PAGE_MAX, opts.limit - rows.length);
    const page = await s.client.search(text, arch, want, cursor);
    rows.push(...page.results);
    cursor = page.next;
  } while (cursor !== undefined && (opts.all || rows.length < opts.limit));
  if (opts.json) printJson(rows);
  else printLines(table(rows.map((r) => [r.name, String(r['latest'] ?? ''), ((r['arches'] as string[] | undefined) ?? []).join(','), String(r['description'] ?? '')])));
  if (rows.length === 0 && !opts.json) warn(text ? `no packages found for "${text}"` : 'no packages found');
  if (cursor !== undefined) warn(`more: ${again} --cursor ${cursor} (or --all)`);
}
