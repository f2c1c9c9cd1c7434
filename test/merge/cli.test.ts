import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hostArch } from '../../client/arch.js';
import { layFiles, tempDir } from './helpers.js';
import { parseManifest } from './tuple-parser.js';

// The built CLI (`npm test` builds first), run as a user runs it.
const UNI = join(import.meta.dirname, '../../bin/uni.js');

async function uni(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [UNI, ...args], {
      env: { ...process.env, UNI_HOME: home, UNI_REGISTRY: 'http://127.0.0.1:9' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A project with no dependencies: the command runs without a registry. */
function project(config: object): string {
  const dir = tempDir('uni-cli-');
  layFiles(dir, { 'config.json': JSON.stringify(config), 'bin/hello': 'hello', 'www/index.html': 'index' });
  return dir;
}

describe('uni manifest', () => {
  it('prints the nanos tuple of the project', async () => {
    const dir = project({ program: '/bin/hello', files: ['bin/hello'], dirs: ['www'], args: ['--port', '80'], env: { A: 'b' } });
    const r = await uni(['manifest', '-c', join(dir, 'config.json'), '--offline'], tempDir());
    expect(r.stderr).toBe('');
    expect(r.code, r.stderr).toBe(0);
    const root = parseManifest(r.stdout) as Map<string, unknown>;
    expect(root.get('program')).toBe('/bin/hello');
    expect(root.get('arguments')).toEqual(['hello', '--port', '80']);
    expect(root.get('environment')).toEqual(new Map([['A', 'b'], ['NANOS_ARCH', hostArch() === 'x86_64' ? 'amd64' : 'arm64'], ['PWD', '/'], ['USER', 'root']]));
  });

  it('writes -o FILE only when everything succeeded, and leaves it untouched otherwise', async () => {
    const dir = project({ Program: '/bin/hello', Files: ['bin/hello'] });
    const out = join(dir, 'out', 'image.json');
    const ok = await uni(['manifest', '-c', join(dir, 'config.json'), '--format', 'json', '-o', out, '--offline'], tempDir());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('');
    const first = readFileSync(out, 'utf8');
    expect(JSON.parse(first)).toMatchObject({ program: '/bin/hello', arguments: ['hello'] });

    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Program: '/bin/hello', Files: ['bin/hello', 'missing.txt'] }));
    const bad = await uni(['manifest', '-c', join(dir, 'config.json'), '--format', 'json', '-o', out, '--offline'], tempDir());
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/Files: missing\.txt: .*missing\.txt does not exist/);
    expect(readFileSync(out, 'utf8')).toBe(first);
    expect(readdirSync(join(dir, 'out'))).toEqual(['image.json']);
  });

  it('exits 1 naming an unknown key and the nearest known one', async () => {
    const dir = project({ Program: '/bin/hello', Fils: ['bin/hello'] });
    const r = await uni(['manifest', '-c', join(dir, 'config.json'), '--offline'], tempDir());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('unknown key "Fils" (did you mean "Files"?)');
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a format it does not know', async () => {
    const dir = project({ Program: '/bin/hello', Files: ['bin/hello'] });
    const r = await uni(['manifest', '-c', join(dir, 'config.json'), '--format', 'yaml'], tempDir());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('unknown format "yaml"');
  });

  it('says which config file is missing', async () => {
    const r = await uni(['manifest', '-c', join(tempDir(), 'config.json')], tempDir());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*config\.json: no such file/);
  });
});
