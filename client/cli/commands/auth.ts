import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { printJson, printLines, warn } from './output.js';

/**
 * The token typed at a terminal is not echoed, as a password prompt does not echo: the
 * terminal is put in raw mode and only the prompt and a line break are written.
 */
function readHidden(): Promise<string> {
  const stdin = process.stdin;
  // Echo goes off before the prompt shows: a token pasted the moment "Token: " appears is not echoed.
  stdin.setRawMode(true);
  process.stderr.write('Token: ');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed.trim());
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new UniError('usage', 'login cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return readHidden();
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
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
