import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { UniError } from './errors.js';
import packageManifestSchema from './package-manifest.schema.json' with { type: 'json' };
import { readOpsManifest } from './ops-manifest.js';
import { validatorsById } from './validators.generated.js';

/**
 * Validators are compiled ahead of time (scripts/build-validators.mjs): Workers forbid the
 * `new Function` that compiling at run time needs. A schema is found by its $id.
 */
function validatorFor(schema: object): ValidateFunction {
  const id = (schema as { $id?: unknown }).$id;
  const fn = typeof id === 'string' ? validatorsById[id] : undefined;
  if (!fn) throw new Error(`schema ${String(id)} is not precompiled: run node scripts/build-validators.mjs`);
  return fn;
}

/** "/Args/0 must be string"; names the field at fault so a person can fix it. */
export function describeSchemaError(err: ErrorObject): string {
  const where = err.instancePath === '' ? 'the document' : `field ${err.instancePath}`;
  if (err.keyword === 'additionalProperties') {
    return `${where} has an unknown field "${String(err.params['additionalProperty'])}"`;
  }
  if (err.keyword === 'required') {
    return `${where} lacks the required field "${String(err.params['missingProperty'])}"`;
  }
  return `${where} ${err.message ?? 'is invalid'}`;
}

/**
 * How deep any document may nest. The generated validators recurse once per level of a
 * free-form value (ManifestPassthrough) and overflow the stack near 2,200 levels, as does
 * JSON.stringify further on; no real manifest comes near 64.
 */
export const MAX_DOCUMENT_DEPTH = 64;

/** Refuses a document nested deeper than MAX_DOCUMENT_DEPTH, naming where; without recursion. */
function checkDepth(data: unknown, what: string, code: string): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: data, depth: 0, path: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth === MAX_DOCUMENT_DEPTH) {
      const where = path.length > 120 ? `${path.slice(0, 120)}...` : path;
      throw new UniError(code, `${what}: field ${where} nests more than ${MAX_DOCUMENT_DEPTH} levels deep, the limit`);
    }
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, depth: depth + 1, path: `${path}/${key}` });
  }
}

/**
 * Checks `data` against `schema`; throws a UniError with `code` whose message starts with
 * `what` (for example "package.manifest") and names the field at fault.
 */
export function validateWith<T>(schema: object, data: unknown, what: string, code = 'invalid_document'): T {
  checkDepth(data, what, code);
  const fn = validatorFor(schema);
  if (!fn(data)) {
    const first = fn.errors?.[0];
    throw new UniError(code, `${what}: ${first ? describeSchemaError(first) : 'is invalid'}`);
  }
  return data as T;
}

export interface PackageManifest {
  Name?: string;
  Version: string;
  OriginalVersion?: string;
  Arch?: string;
  Program?: string;
  Args?: string[];
  Env?: Record<string, string>;
  Dirs?: string[];
  Files?: string[];
  MapDirs?: Record<string, string>;
  Mounts?: Record<string, string>;
  Klibs?: string[];
  ManifestPassthrough?: Record<string, unknown>;
  BaseVolumeSz?: string;
  RunConfig?: Record<string, unknown>;
  NameServers?: string[];
  Debugflags?: string[];
  NoTrace?: string[];
  RebootOnExit?: boolean;
  NanosVersion?: string;
  Language?: string;
  Runtime?: string;
  Description?: string;
  License?: string;
  Homepage?: string;
  Provides?: string[];
  Dependencies?: Record<string, string>;
}

export { packageManifestSchema };

/** package.manifest read as ops reads it (protocol/ops-manifest.ts), its known keys checked; `notes` say what was adapted. */
export function readPackageManifestData(raw: unknown): { manifest: PackageManifest; notes: string[] } {
  const { data, known, notes } = readOpsManifest(raw);
  validateWith<PackageManifest>(packageManifestSchema, known, 'package.manifest', 'invalid_manifest');
  return { manifest: data as unknown as PackageManifest, notes };
}

export function validatePackageManifest(data: unknown): PackageManifest {
  return readPackageManifestData(data).manifest;
}
