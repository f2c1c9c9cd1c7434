/** What `uni run` takes from config.json's RunConfig, as `ops run` does. */
import { describe, expect, it } from 'vitest';
import { applyRunSettings, runDefaults } from '../../client/image/run-config.js';
import type { ImageManifest } from '../../client/merge/merge.js';

function manifest(environment: Record<string, string>): ImageManifest {
  return { arch: 'x86_64', root: { kind: 'dir', children: new Map(), origin: { label: 'root' } }, program: '/p', arguments: ['p'], environment, cwd: '/', klibs: [], boot: new Map(), mounts: {}, settings: {}, packages: [], notes: [] };
}

describe('RunConfig', () => {
  it('takes Ports, Memory and CPUs, keys in any case, and ignores what steers ops\'s other runners', () => {
    expect(runDefaults({ Ports: ['8008', '443'], Memory: '1G', CPUs: 2, Bridged: true, Verbose: true })).toEqual({ ports: [8008, 443], memory: '1G', cpus: 2 });
    expect(runDefaults({ ports: ['80'], memory: '512M' })).toEqual({ ports: [80], memory: '512M' });
    expect(runDefaults(undefined)).toEqual({ ports: [] });
  });

  it('names the key and what it must be', () => {
    expect(() => runDefaults({ Ports: [8080] })).toThrow('config.json RunConfig.Ports must be a list of port numbers as strings, like ["8080"]');
    expect(() => runDefaults({ Ports: ['8000-8010'] })).toThrow('config.json RunConfig.Ports has "8000-8010": a port is a number from 1 to 65535 (port ranges are not forwarded by uni run)');
    expect(() => runDefaults({ Memory: 2 })).toThrow('config.json RunConfig.Memory must be a size as qemu takes it, like "2G"');
    expect(() => runDefaults({ CPUs: 1.5 })).toThrow('config.json RunConfig.CPUs must be a whole number of CPUs, 1 or more');
  });
});

describe('what an image gets from how it is run', () => {
  it('sets OPS_PORT to the ports unless the Env sets it, and debug_exit only for uni run', () => {
    const built = manifest({ A: 'b' });
    applyRunSettings(built, [8080, 443], false);
    expect(built.environment).toEqual({ A: 'b', OPS_PORT: '8080,443' });
    expect(built.settings).toEqual({});
    const run = manifest({ OPS_PORT: 'mine' });
    applyRunSettings(run, [80], true);
    expect(run.environment).toEqual({ OPS_PORT: 'mine' });
    expect(run.settings).toEqual({ debug_exit: 't' });
    const none = manifest({});
    applyRunSettings(none, [], false);
    expect(none.environment).toEqual({});
  });
});
