/**
 * A reader of nanos's manifest language written from the grammar in issue 5 (which follows
 * src/runtime/tuple_parser.c), independent of the writer, so that a round trip checks the
 * writer against the language rather than against itself. Tuples come back as Maps
 * (a duplicate key keeps the last, as mkfs does), vectors as arrays, leaves as strings.
 */
export type Parsed = string | Parsed[] | Map<string, Parsed>;

const WS = new Set([' ', '\t', '\r', '\n']);
const BARE_END = new Set(['(', ')', '[', ']', ' ', '\t', '\r', '\n']);
const NAME_END = new Set([...BARE_END, ':', '|', '/']);

export function parseManifest(text: string): Parsed {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      if (WS.has(text[i]!)) i++;
      else if (text[i] === '#') {
        while (i < text.length && text[i] !== '\n') i++;
      } else break;
    }
  };
  const quoted = (): string => {
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if (i >= text.length) break;
      out += text[i++];
    }
    if (text[i] !== '"') fail('unterminated string');
    i++;
    return out;
  };
  const token = (end: Set<string>): string => {
    const start = i;
    while (i < text.length && !end.has(text[i]!)) i++;
    if (i === start) fail('empty token');
    return text.slice(start, i);
  };
  const value = (): Parsed => {
    if (text[i] === '(') return tuple();
    if (text[i] === '[') return vector();
    if (text[i] === '"') return quoted();
    return token(BARE_END);
  };
  const tuple = (): Map<string, Parsed> => {
    i++;
    const out = new Map<string, Parsed>();
    ws();
    while (text[i] !== ')') {
      if (i >= text.length) fail('unterminated tuple');
      const name = text[i] === '"' ? quoted() : token(NAME_END);
      ws();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      ws();
      out.set(name, value());
      ws();
    }
    i++;
    return out;
  };
  const vector = (): Parsed[] => {
    i++;
    const out: Parsed[] = [];
    ws();
    while (text[i] !== ']') {
      if (i >= text.length) fail('unterminated vector');
      out.push(value());
      // mkfs's quirk: whitespace before ']' is an empty element.
      const before = i;
      ws();
      if (text[i] === ']' && i > before) out.push('');
    }
    i++;
    return out;
  };
  ws();
  if (text[i] !== '(') fail('expected the top-level tuple');
  const root = tuple();
  ws();
  if (i !== text.length) fail('text after the top-level tuple');
  return root;
}
