import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { checkNamePart } from '../../../protocol/names.js';
import { userArg } from '../errors.js';
import { printJson, printLines, table, warn } from './output.js';

const SCOPES = ['read', 'publish', 'admin'];

/** `uni token create | list | revoke`: tokens for CI and colleagues, made with the current one. */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('create, list and revoke registry tokens');

  token
    .command('create')
    .description('create a token; it is shown once, store it now')
    .option('--scope <scope...>', `what it may do: ${SCOPES.join(', ')}`, ['read'])
    .option('--namespace <ns>', 'limit it to one namespace')
    .option('--expires <days>', 'days until it expires')
    .option('--name <name>', 'a label to recognise it by')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--json', 'print JSON')
    .action(async (opts: { scope: string[]; namespace?: string; expires?: string; name?: string; registry?: string; json?: boolean }) => {
      const scopes = opts.scope.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      for (const s of scopes) {
        if (!SCOPES.includes(s)) throw new UniError('usage', `unknown scope "${s}": use ${SCOPES.join(', ')}`);
      }
      let expiresInDays: number | undefined;
      if (opts.expires !== undefined) {
        expiresInDays = Number(opts.expires.replace(/d$/, ''));
        if (!Number.isInteger(expiresInDays) || expiresInDays < 1) {
          throw new UniError('usage', `--expires must be a whole number of days, such as 30, not "${opts.expires}"`);
        }
      }
      const namespace = userArg((ns) => checkNamePart(ns, 'namespace'), opts.namespace);
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'creating a token');
      const created = await s.client.createToken({
        scopes,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(expiresInDays !== undefined ? { expiresInDays } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      });
      if (opts.json) return printJson(created);
      printLines([created.token]);
      warn(`token ${created.id} created (${scopes.join(',')}); it will not be shown again`);
    });

  token
    .command('list')
    .description("list the tokens of the current token's owner: id, name, scopes, namespace, expiry, revoked")
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--json', 'print JSON')
    .action(async (opts: { registry?: string; json?: boolean }) => {
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'listing tokens');
      const { tokens } = await s.client.listTokens();
      if (opts.json) return printJson(tokens);
      const cell = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
      printLines(
        table([
          ['ID', 'NAME', 'SCOPES', 'NAMESPACE', 'EXPIRES', 'REVOKED'],
          ...tokens.map((t) => [t.id, cell(t['name']), cell(t['scopes']), cell(t['namespace']), cell(t['expiresAt']), cell(t['revokedAt'])]),
        ]),
      );
    });

  token
    .command('revoke')
    .description('revoke a token by its id')
    .argument('<id>', 'the id `uni token create` printed')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .action(async (id: string, opts: { registry?: string }) => {
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'revoking a token');
      await s.client.revokeToken(id);
      printLines([`revoked ${id}`]);
    });
}
