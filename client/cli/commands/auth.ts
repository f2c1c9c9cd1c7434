import type { Command } from 'commander';
import { UniError } from '../../../schemas/errors.js';
import { printJson, printLines, warn } from './output.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Token: ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    // On a terminal one line is the answer; from a pipe, everything is.
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

function describeWho(who: Record<string, unknown>): string {
  const parts = ['owner', 'id', 'name', 'namespace', 'scopes']
    .filter((k) => who[k] !== undefined && who[k] !== null)
    .map((k) => `${k}: ${Array.isArray(who[k]) ? (who[k] as unknown[]).join(',') : String(who[k])}`);
  return parts.length ? parts.join(', ') : JSON.stringify(who);
}

/** `uni login | logout | whoami`: tokens are stored per registry in config.json (mode 0600). */
export function registerAuthCommands(program: Command): void {
  program
    .command('login')
    .description('store a registry token in ~/.uni/config.json (read from stdin when --token is not given)')
    .option('--registry <url>', 'the registry to log in to; it also becomes the default one')
    .option('--token <token>', 'the token; prefer stdin, which keeps it out of the shell history')
    .option('--json', 'print who the registry takes the token for as JSON, as uni whoami --json does')
    .action(async (opts: { registry?: string; token?: string; json?: boolean }) => {
      const { loadConfig, readConfigFile, saveToken } = await import('../../config.js');
      const { writeFileAtomic } = await import('../../cache/atomic.js');
      const { RegistryClient } = await import('../../registry/client.js');
      const config = loadConfig(process.env, opts.registry);
      const token = opts.token ?? (await readStdin());
      if (!token) throw new UniError('usage', 'no token given: pass --token or pipe it on stdin');
      if (/\s/.test(token)) throw new UniError('usage', 'the token has spaces or line breaks in it; give the token alone');
      // Checked before it is stored, so that a typo is caught now rather than at the next publish.
      const who = await new RegistryClient({ baseUrl: config.registry, token }).whoami();
      saveToken(config.configPath, config.registry, token);
      if (opts.registry) {
        const file = readConfigFile(config.configPath);
        writeFileAtomic(config.configPath, `${JSON.stringify({ ...file, registry: config.registry }, null, 2)}\n`, 0o600);
      }
      if (opts.json) return printJson(who);
      printLines([`logged in to ${config.registry} (${describeWho(who)})`]);
    });

  program
    .command('logout')
    .description('forget the token of a registry')
    .option('--registry <url>', 'the registry to log out of; default: the configured one')
    .action(async (opts: { registry?: string }) => {
      const { loadConfig, saveToken } = await import('../../config.js');
      const config = loadConfig(process.env, opts.registry);
      saveToken(config.configPath, config.registry, undefined);
      if (process.env['UNI_TOKEN']) warn('UNI_TOKEN is set in the environment and still applies');
      printLines([`logged out of ${config.registry}`]);
    });

  program
    .command('whoami')
    .description('show who the registry takes the current token for')
    .option('--registry <url>', 'registry to ask instead of the configured one')
    .option('--json', 'print JSON')
    .action(async (opts: { registry?: string; json?: boolean }) => {
      const { commandSession } = await import('./session.js');
      const s = commandSession(opts, 'whoami');
      const who = await s.client.whoami();
      if (opts.json) return printJson(who);
      printLines([`${s.config.registry}: ${describeWho(who)}`]);
    });
}
