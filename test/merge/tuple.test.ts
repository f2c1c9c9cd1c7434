import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tupleOf, writeName, writeString, writeTuple, type Tuple, type TupleValue } from '../../client/merge/tuple.js';
import { parseManifest } from './tuple-parser.js';

const HOSTILE = [
  'plain',
  'with space',
  'tab\there',
  'new\nline',
  'cr\rhere',
  'quote"inside',
  '"',
  'back\\slash',
  '\\',
  'trailing\\',
  '(paren)',
  ')',
  '[bracket]',
  ']',
  '#hash',
  'mid#hash',
  'co:lon',
  ':',
  'sla/sh',
  'pi|pe',
  '',
  ' ',
  't',
  'ünïcødé ✓',
  '__proto__',
  'constructor',
  `/${'deep/'.repeat(300)}file`,
  'x'.repeat(5000),
];

describe('tuple writer', () => {
  it('round-trips hostile names and values through an independent parser', () => {
    const files: Tuple = new Map(HOSTILE.filter((n) => n !== '').map((n) => [n, new Map([['contents', new Map([['host', n]])]])]));
    const env: Tuple = new Map(HOSTILE.map((n, i) => [n === '' ? `empty${i}` : n, HOSTILE[(i + 3) % HOSTILE.length]!]));
    const root: Tuple = new Map<string, TupleValue>([
      ['children', files],
      ['program', '/bin/my prog'],
      ['arguments', [...HOSTILE]],
      ['environment', env],
      ['empty', new Map()],
      ['emptyvec', []],
      ['nested', [['a', ''], new Map([['k', '']])]],
    ]);
    expect(parseManifest(writeTuple(root))).toEqual(root);
  });

  it('round-trips any tree of names and values', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const value = fc.letrec<{ v: TupleValue; t: Tuple }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, text, fc.array(tie('v'), { maxLength: 4 }), tie('t')),
      t: fc.array(fc.tuple(text, tie('v')), { maxLength: 4 }).map((entries) => new Map(entries)),
    }));
    fc.assert(
      fc.property(value.t, (root) => {
        expect(parseManifest(writeTuple(root))).toEqual(root);
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves whitespace before a closing bracket, which mkfs reads as an empty element', () => {
    const text = writeTuple(new Map([['arguments', ['a', '', 'b c', '']], ['x', [[], ['']]]]));
    expect(text).not.toMatch(/\s\]/);
    expect(parseManifest(text)).toEqual(new Map([['arguments', ['a', '', 'b c', '']], ['x', [[], ['']]]]));
  });

  it('quotes what mkfs would split and leaves plain words bare', () => {
    expect(writeName('lib')).toBe('lib');
    expect(writeName('libc.so.6')).toBe('libc.so.6');
    expect(writeName('a/b')).toBe('"a/b"');
    expect(writeName('a|b')).toBe('"a|b"');
    expect(writeName('a:b')).toBe('"a:b"');
    expect(writeString('/usr/bin/x:y')).toBe('/usr/bin/x:y');
    expect(writeString('')).toBe('""');
    expect(writeString('say "hi"')).toBe('"say \\"hi\\""');
    expect(writeString('a\\b')).toBe('"a\\\\b"');
    expect(writeString('#x')).toBe('"#x"');
    expect(writeString('t')).toBe('t');
  });

  it('writes exactly one top-level tuple and nothing after it', () => {
    const text = writeTuple(new Map([['program', '/p']]));
    expect(text).toBe('(program:/p)\n');
  });

  it('refuses text that has no UTF-8 form instead of mangling it', () => {
    expect(() => writeName('bad\uD800name')).toThrow(/not valid Unicode/);
    expect(() => writeTuple(new Map([['k', 'v\uDC00']]))).toThrow(/not valid Unicode/);
  });

  it('refuses a duplicate key, which mkfs would silently collapse', () => {
    expect(() => tupleOf([['program', '/a'], ['program', '/b']], 'root')).toThrow(/"program" is set twice/);
  });
});

describe('the test parser itself', () => {
  it('follows mkfs: comments, a trailing-space empty element, last duplicate wins', () => {
    expect(parseManifest('# c\n(a:1 # note\n a:2 v:[x ] q:"a\\"b")')).toEqual(
      new Map<string, unknown>([['a', '2'], ['v', ['x', '']], ['q', 'a"b']]),
    );
    expect(() => parseManifest('(a:1) (b:2)')).toThrow(/after the top-level tuple/);
  });
});
