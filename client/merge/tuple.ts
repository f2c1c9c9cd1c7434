import { UniError } from '../../protocol/errors.js';

/**
 * A value of nanos's manifest language: every leaf is a string, a tuple is a named map, a
 * vector a list. Tuples are Maps so that any file name, `__proto__` included, is a plain key
 * and the order written is the order given.
 */
export type TupleValue = string | TupleValue[] | Tuple;
export type Tuple = Map<string, TupleValue>;

// What ends a bare token in mkfs's parser (src/runtime/tuple_parser.c), plus what this writer
// quotes to keep the output unambiguous: quotes, '#' (a comment at a token's start) and '\'.
const VALUE_NEEDS_QUOTES = /[()[\]\s"#\\]|[\u0000-\u001f\u007f]/;
// A name also ends at the property sigils ':' '|' '/'.
const NAME_NEEDS_QUOTES = /[()[\]\s"#\\:|/]|[\u0000-\u001f\u007f]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The manifest is UTF-8 text; a string that has no UTF-8 form would come out mangled. */
function checkText(s: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new UniError('bad_name', `${JSON.stringify(s)} is not valid Unicode text and cannot be written to a manifest`);
  }
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function writeName(name: string): string {
  checkText(name);
  return name === '' || NAME_NEEDS_QUOTES.test(name) ? quote(name) : name;
}

export function writeString(value: string): string {
  checkText(value);
  return value === '' || VALUE_NEEDS_QUOTES.test(value) ? quote(value) : value;
}

/** A tuple fits on one line when it is a chain of single entries ending in a string, like `(contents:(host:/x))`. */
function isInline(value: TupleValue): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string');
  if (value.size > 1) return false;
  for (const v of value.values()) return isInline(v);
  return true;
}

function writeValue(value: TupleValue, indent: string): string {
  if (typeof value === 'string') return writeString(value);
  // Whitespace before ']' makes mkfs add an empty element, so elements are joined, never padded.
  if (Array.isArray(value)) return `[${value.map((v) => writeValue(v, indent)).join(' ')}]`;
  if (isInline(value)) {
    return `(${[...value].map(([k, v]) => `${writeName(k)}:${writeValue(v, indent)}`).join(' ')})`;
  }
  const inner = `${indent}  `;
  const lines = [...value].map(([k, v]) => `${inner}${writeName(k)}:${writeValue(v, inner)}`);
  return `(\n${lines.join('\n')})`;
}

/** The whole manifest: one top-level tuple, which is all mkfs accepts on stdin. */
export function writeTuple(root: Tuple): string {
  return `${writeValue(root, '')}\n`;
}

/** Builds a Tuple from entries, refusing a duplicate key, which mkfs would silently collapse to the last. */
export function tupleOf(entries: Iterable<readonly [string, TupleValue]>, what: string): Tuple {
  const t: Tuple = new Map();
  for (const [k, v] of entries) {
    if (t.has(k)) throw new UniError('manifest_conflict', `${what}: the key "${k}" is set twice`);
    t.set(k, v);
  }
  return t;
}
