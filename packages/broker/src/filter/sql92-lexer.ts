// Tokenizer for RocketMQ's SQL92 message selector (the subset of the JMS selector syntax that
// the 4.x broker accepts). Keywords are case-insensitive; identifiers keep their case because
// property names are case-sensitive. Whitespace, `-- line` and `/* block */` comments are skipped.

export class Sql92Error extends Error {
  override name = 'Sql92Error';
}

export type TokenKind =
  | 'NOT' | 'AND' | 'OR' | 'BETWEEN' | 'IN' | 'TRUE' | 'FALSE' | 'NULL' | 'IS'
  | 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH'
  | 'DECIMAL' | 'FLOAT' | 'STRING' | 'ID'
  | '=' | '<>' | '>' | '>=' | '<' | '<=' | '(' | ')' | ',' | '+' | '-'
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** Source text (identifier name, numeric literal) or the decoded value of a string literal. */
  text: string;
  /** Offset of the token's first character in the expression. */
  pos: number;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  'NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH',
]);

/** A selector longer than this is refused outright: subscriptions are small, and a bound keeps the parser cheap. */
export const SQL92_EXPRESSION_CHARS_MAX = 64 * 1024;

function isIdStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

// RocketMQ's identifiers are [a-z_$][a-z0-9_$]* (ignoring case). We also accept '.' after the first
// character so dotted property names ("order.region") work; no valid RocketMQ selector changes meaning.
function isIdPart(c: string): boolean {
  return isIdStart(c) || isDigit(c) || c === '.';
}

export function tokenize(src: string): Token[] {
  if (src.length > SQL92_EXPRESSION_CHARS_MAX) {
    throw new Sql92Error(`SQL92 expression longer than ${SQL92_EXPRESSION_CHARS_MAX} characters`);
  }
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '-') {
      while (i < n && src[i] !== '\n' && src[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Sql92Error(`unterminated comment at ${i}`);
      i = end + 2;
      continue;
    }
    const start = i;
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new Sql92Error(`unterminated string literal at ${start}`);
        const d = src[i]!;
        if (d === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'STRING', text: value, pos: start });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      tokens.push(lexNumber(src, start));
      i = start + tokens[tokens.length - 1]!.text.length;
      continue;
    }
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdPart(src[i]!)) i++;
      const text = src.slice(start, i);
      const upper = text.toUpperCase();
      tokens.push({ kind: KEYWORDS.has(upper) ? (upper as TokenKind) : 'ID', text, pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<>' || two === '>=' || two === '<=') {
      tokens.push({ kind: two, text: two, pos: start });
      i += 2;
      continue;
    }
    if ('=<>(),+-'.includes(c)) {
      tokens.push({ kind: c as TokenKind, text: c, pos: start });
      i++;
      continue;
    }
    throw new Sql92Error(`unexpected character '${c}' at ${i}`);
  }
  tokens.push({ kind: 'EOF', text: '', pos: n });
  return tokens;
}

// DECIMAL: 0 | [1-9][0-9]* [lL]?     FLOAT: 5.5 | 5. | .5 | 5E10 | 5.5E-3 (exponent letter any case)
function lexNumber(src: string, start: number): Token {
  let i = start;
  while (isDigit(src[i] ?? '')) i++;
  const intDigits = i - start;
  let isFloat = false;
  if (src[i] === '.') {
    isFloat = true;
    i++;
    while (isDigit(src[i] ?? '')) i++;
  }
  if ((src[i] === 'e' || src[i] === 'E') && /^[eE][+-]?[0-9]/.test(src.slice(i, i + 3))) {
    isFloat = true;
    i++;
    if (src[i] === '+' || src[i] === '-') i++;
    while (isDigit(src[i] ?? '')) i++;
  }
  if (isFloat) return { kind: 'FLOAT', text: src.slice(start, i), pos: start };
  if (intDigits > 1 && src[start] === '0') {
    throw new Sql92Error(`invalid number '${src.slice(start, i)}' at ${start} (no octal literals)`);
  }
  if (src[i] === 'l' || src[i] === 'L') i++;
  return { kind: 'DECIMAL', text: src.slice(start, i), pos: start };
}
