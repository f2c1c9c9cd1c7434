import { createHash } from 'node:crypto';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImageManifest } from '../../client/merge/build.js';
import { readProjectConfig } from '../../client/merge/config.js';
import { writeJsonManifest } from '../../client/merge/json.js';
import { writeNanosManifest } from '../../client/merge/nanos.js';
import type { InstalledPackage } from '../../client/types.js';
import imageManifestSchema from '../../protocol/image-manifest.schema.json' with { type: 'json' };
import { validatePackageManifest, validateWith } from '../../protocol/validate.js';
import { tempDir } from './helpers.js';
import { parseManifest, type Parsed } from './tuple-parser.js';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** Git keeps only the executable bit; the checkout's umask must not change the recorded modes. */
function normaliseModes(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    chmodSync(path, statSync(path).mode & 0o111 ? 0o755 : 0o644);
  }
}

function installedFrom(folder: string): InstalledPackage {
  const text = readFileSync(join(folder, 'package.manifest'), 'utf8');
  const manifest = validatePackageManifest(JSON.parse(text));
  return {
    name: `library/${manifest.Name}`,
    version: manifest.Version,
    arch: 'x86_64',
    digest: `sha256:${createHash('sha256').update(text).digest('hex')}`,
    path: folder,
    manifest,
    dependencies: manifest.Dependencies ?? {},
  };
}

/** The small fixed project, copied so that its host paths can be replaced by placeholders. */
async function goldenOutputs(): Promise<{ nanos: string; json: string }> {
  const work = tempDir('uni-golden-');
  const cache = join(work, 'cache');
  const project = join(work, 'project');
  cpSync(join(GOLDEN, 'cache'), cache, { recursive: true, verbatimSymlinks: true });
  cpSync(join(GOLDEN, 'project'), project, { recursive: true, verbatimSymlinks: true });
  normaliseModes(work);
  const packages = readdirSync(cache).sort().map((top) => installedFrom(join(cache, top)));
  const config = readProjectConfig(join(project, 'config.json'));
  const generated = join(work, 'generated');
  const manifest = await buildImageManifest(config, project, packages, { arch: 'x86_64', generatedDir: generated, facts: { imageName: 'golden', nanosVersion: '0.1.52' } });
  const portable = (text: string) => text.split(cache).join('$CACHE').split(generated).join('$GENERATED').split(project).join('$PROJECT');
  return { nanos: portable(writeNanosManifest(manifest)), json: portable(writeJsonManifest(manifest)) };
}

function compareGolden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (UPDATE) writeFileSync(path, actual);
  expect(actual, `${name} differs; run UPDATE_GOLDEN=1 npx vitest run test/merge/golden.test.ts and review the diff`).toBe(readFileSync(path, 'utf8'));
}

interface JsonTree {
  type: string;
  host?: string;
  target?: string;
  children?: Record<string, JsonTree>;
}

/** The tuple's file tree and the JSON's must be the same tree. */
function sameTree(tuple: Parsed, json: JsonTree, path: string): void {
  if (!(tuple instanceof Map)) throw new Error(`${path}: expected a tuple`);
  if (json.type === 'file') expect((tuple.get('contents') as Map<string, Parsed>).get('host'), path).toBe(json.host);
  else if (json.type === 'symlink') expect(tuple.get('linktarget'), path).toBe(json.target);
  else {
    const children = tuple.get('children') as Map<string, Parsed>;
    expect([...children.keys()].sort(), path).toEqual(Object.keys(json.children!).sort());
    for (const [name, child] of Object.entries(json.children!)) sameTree(children.get(name)!, child, `${path}/${name}`);
  }
}

describe('golden manifests of a small fixed project', () => {
  it('writes the nanos tuple and the JSON document exactly as recorded', async () => {
    const { nanos, json } = await goldenOutputs();
    compareGolden('manifest.nanos', nanos);
    compareGolden('manifest.json', json);
  });

  it('gives the same tree and settings in both formats, and the JSON matches its schema', async () => {
    const { nanos, json } = await goldenOutputs();
    const doc = validateWith<Record<string, unknown>>(imageManifestSchema, JSON.parse(json), 'manifest.json');
    const root = parseManifest(nanos) as Map<string, Parsed>;
    sameTree(root, doc['root'] as JsonTree, '');
    expect(root.get('program')).toBe(doc['program']);
    expect(root.get('arguments')).toEqual(doc['arguments']);
    expect(Object.fromEntries(root.get('environment') as Map<string, string>)).toEqual(doc['environment']);
    expect(root.get('cwd')).toBe(doc['cwd']);
    expect(root.get('klibs')).toBe('bootfs');
    expect(root.get('exec_protection')).toBe('t');
    expect(root.get('consoles')).toEqual(['+net', '-serial']);
  });
});
