import { readFileSync } from 'node:fs';
import { UniError } from '../protocol/errors.js';

/**
 * A JSON file's parsed contents, for files a person writes or keeps (config.json, uni.lock, an
 * index snapshot): a missing, unreadable or malformed one is a UniError with `code`, naming it.
 */
export function readJsonFile(path: string, code: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    throw new UniError(code, `cannot read ${path}: ${errno === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UniError(code, `${path} is not valid JSON: ${(e as Error).message}`);
  }
}
