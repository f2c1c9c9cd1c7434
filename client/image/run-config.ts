import { UniError } from '../../protocol/errors.js';
import type { ImageManifest } from '../merge/merge.js';
import { parsePort } from './qemu.js';

/** What `ops run` takes from config.json's RunConfig and `uni run` takes too; its flags win. */
export interface RunDefaults {
  ports: number[];
  memory?: string;
  cpus?: number;
}

function fault(key: string, what: string): UniError {
  return new UniError('bad_config', `config.json RunConfig.${key} ${what}`);
}

/** RunConfig's Ports, Memory and CPUs; the rest of it steers ops's other runners (bridges, GPUs, cloud). */
export function runDefaults(runConfig: unknown): RunDefaults {
  if (runConfig === undefined) return { ports: [] };
  const rc = runConfig as Record<string, unknown>;
  const pick = (name: string): unknown => Object.entries(rc).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const out: RunDefaults = { ports: [] };
  const ports = pick('Ports');
  if (ports !== undefined) {
    if (!Array.isArray(ports) || !ports.every((p) => typeof p === 'string')) throw fault('Ports', 'must be a list of port numbers as strings, like ["8080"]');
    out.ports = ports.map((p) => {
      try {
        return parsePort(p);
      } catch {
        throw fault('Ports', `has "${p}": a port is a number from 1 to 65535 (port ranges are not forwarded by uni run)`);
      }
    });
  }
  const memory = pick('Memory');
  if (memory !== undefined) {
    if (typeof memory !== 'string' || memory === '') throw fault('Memory', 'must be a size as qemu takes it, like "2G"');
    out.memory = memory;
  }
  const cpus = pick('CPUs');
  if (cpus !== undefined) {
    if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1) throw fault('CPUs', 'must be a whole number of CPUs, 1 or more');
    out.cpus = cpus;
  }
  return out;
}

/**
 * What an image gets from how it is run. ops sets OPS_PORT to the ports (RunConfig.Ports, and
 * `ops run -p`) whenever it builds; the Env keeps the last word. An image `uni run` boots also
 * gets debug_exit, so that nanos hands the program's exit code to qemu's isa-debug-exit.
 */
export function applyRunSettings(manifest: ImageManifest, ports: readonly number[], debugExit: boolean): void {
  if (debugExit) manifest.settings['debug_exit'] = 't';
  if (ports.length > 0 && manifest.environment['OPS_PORT'] === undefined) manifest.environment['OPS_PORT'] = ports.join(',');
}
