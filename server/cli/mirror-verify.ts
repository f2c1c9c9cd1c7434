/**
 * `uni mirror verify [--repair]`: lists the blobs a data folder's rows reference that its
 * store lacks or holds with other bytes; --repair fetches them again from the upstream each
 * package came from. Exits 1 while anything stays wrong.
 */
import { Command, Option } from 'commander';
import { artifactOf, checkBlobs } from '../maintenance/blob-check.js';
import { repairer } from '../maintenance/repair.js';
import { nodeFetch } from '../mirror/node-fetch.js';
import { inParallel } from '../mirror/parallel.js';
import { EVERY_BLOB } from '../store/blob-refs.js';
import { intArg } from '../../protocol/cli.js';
import { openData } from './data.js';

interface VerifyOptions {
  data: string;
  blobs?: string;
  repair?: boolean;
  token?: string;
  concurrency: number;
  json?: boolean;
}

async function runVerify(opts: VerifyOptions): Promise<void> {
  const data = await openData(opts.data, opts.blobs);
  try {
    const report = await checkBlobs(data.db, data.blobs, { scope: EVERY_BLOB, deep: true, concurrency: opts.concurrency });
    const repair = opts.repair ? repairer(data.blobs, { fetch: nodeFetch(), timeoutMs: 30_000, ...(opts.token !== undefined ? { token: opts.token } : {}) }) : null;
    const outcomes = repair ? await inParallel(report.problems, opts.concurrency, repair) : [];
    const rows = report.problems.map((p, i) => ({
      digest: p.ref.digest,
      artifact: artifactOf(p.ref),
      fault: p.fault,
      detail: p.detail,
      ...outcomes[i],
    }));
    const left = rows.filter((r) => r.repaired !== true).length;
    if (opts.json) process.stdout.write(`${JSON.stringify({ checked: report.checked, problems: rows, left })}\n`);
    else {
      for (const [i, p] of report.problems.entries()) {
        const o = outcomes[i];
        process.stdout.write(`${p.fault}: ${p.detail}${o ? (o.repaired ? '; repaired' : `; not repaired: ${o.why}`) : ''}\n`);
      }
      const missing = report.problems.filter((p) => p.fault === 'missing').length;
      const summary = `checked ${report.checked} blobs: ${missing} missing, ${report.problems.length - missing} damaged`;
      process.stdout.write(`${summary}${repair ? `, ${report.problems.length - left} repaired` : ''}\n`);
      if (left > 0 && !repair) process.stderr.write('uni mirror verify: run again with --repair to fetch them from the upstream\n');
    }
    if (left > 0) process.exitCode = 1;
  } finally {
    await data.close();
  }
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description("check that every archive the data folder's packages reference is stored, whole, with the bytes of its digest")
    .requiredOption('--data <dir>', 'the registry data folder (registry.sqlite, blobs/); it may be served meanwhile')
    .option('--blobs <url>', 'where that registry keeps archives, as `uni serve --blobs` (default: DIR/blobs)')
    .option('--repair', 'fetch what is missing or damaged again from the upstream each package came from')
    .addOption(new Option('--token <token>', 'token for the upstream (reaches its private packages)').env('UNI_UPSTREAM_TOKEN'))
    .option('--concurrency <n>', 'archives checked at once', intArg('--concurrency', 1, 64), 8)
    .option('--json', 'print {checked, problems, left} as JSON')
    .addHelpText('after', '\nExit codes: 0 every archive is whole, 1 some are still missing or damaged, 2 usage.')
    .action((opts: VerifyOptions) => runVerify(opts));
}
