/** What `uni run` takes from config.json's RunConfig, as `ops run` does. */
import { describe, expect, it } from 'vitest';
import { runDefaults } from '../../client/image/run-config.js';

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
