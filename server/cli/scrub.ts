/**
 * `uni serve scrub`: re-hashes every stored archive an artifact references. One whose bytes
 * no longer hash to its digest (read twice, so a read cut short condemns nothing) is deleted
 * from the store, so that no server on this data ever serves it again: a mirror fetches it
 * anew on the next request (or `uni mirror verify --repair`), a local package's archive must
 * come back from a backup. Exits 1 when anything was missing or damaged.
 */
import { Command } from 'commander';
import { artifactOf, checkBlobs } from '../maintenance/blob-check.js';
import { EVERY_BLOB } from '../store/blob-refs.js';
import { intArg } from '../../protocol/cli.js';
import { openData } from './data.js';

interface ScrubOptions {
  data: string;
  blobs?: string;
  concurrency: number;
  json?: boolean;
}

async function runScrub(opts: ScrubOptions): Promise<void> {
  const data = await openData(opts.data, opts.blobs);
  try {
    const report = await checkBlobs(data.db, data.blobs, { scope: EVERY_BLOB, deep: true, concurrency: opts.concurrency });
    const damaged = report.problems.filter((p) => p.fault === 'damaged');
    for (const p of damaged) await data.blobs.delete(p.ref.digest);
    const missing = report.problems.length - damaged.length;
    if (opts.json) {
      const problems = report.problems.map((p) => ({ digest: p.ref.digest, artifact: artifactOf(p.ref), fault: p.fault, detail: p.detail, mirrored: p.ref.upstream !== null }));
      process.stdout.write(`${JSON.stringify({ checked: report.checked, problems, removed: damaged.length })}\n`);
    } else {
      for (const p of report.problems) {
        const fate = p.fault === 'damaged' ? '; removed' : '';
        const next = p.ref.upstream !== null ? ` (mirrored from ${p.ref.upstream}: uni mirror verify --repair fetches it again)` : ' (published here: restore it from a backup)';
        process.stdout.write(`${p.fault}: ${p.detail}${fate}${next}\n`);
      }
      process.stdout.write(`scrubbed ${report.checked} blobs: ${missing} missing, ${damaged.length} damaged and removed\n`);
    }
    if (report.problems.length > 0) process.exitCode = 1;
  } finally {
    await data.close();
  }
}

export function scrubCommand(): Command {
  return new Command('scrub')
    .description('re-hash every stored archive; remove those whose bytes no longer match their digest, so they are never served')
    .option('--data <dir>', 'the registry data folder (registry.sqlite, blobs/); it may be served meanwhile', './data')
    .option('--blobs <url>', 'where that registry keeps archives, as `uni serve --blobs` (default: DIR/blobs)')
    .option('--concurrency <n>', 'archives read at once', intArg('--concurrency', 1, 64), 4)
    .option('--json', 'print {checked, problems, removed} as JSON')
    .addHelpText('after', '\nExit codes: 0 every archive is whole, 1 some were missing or damaged, 2 usage.')
    .action((opts: ScrubOptions) => runScrub(opts));
}
