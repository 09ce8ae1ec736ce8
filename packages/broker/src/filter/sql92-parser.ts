// Recursive-descent parser for RocketMQ's SQL92 selector. Precedence, lowest first:
//   OR  <  AND  <  (=, <>, IS [NOT] NULL)  <  (>, >=, <, <=, [NOT] BETWEEN, [NOT] IN, [NOT] CONTAINS, ...)
//   <  unary (+, -, NOT)  <  primary (literal, property, parenthesised expression)
// As in RocketMQ, NOT is a unary operator that binds tighter than comparisons: `NOT a = 1` means
// `(NOT a) = 1`; write `NOT (a = 1)`. The operand checks RocketMQ makes while parsing (no strings or
// booleans around <, no NULL around =, BETWEEN bounds in order, IN only on a property, ...) are
// made here too, so a selector RocketMQ refuses is refused with a Sql92Error.

import { Sql92Error, tokenize, type Token, type TokenKind } from './sql92-lexer.js';
import {
  compareValues, INT_RANGE, isNumber, jdouble, jint, jlong, parseJavaLong, valueToString, type Value,
} from './sql92-values.js';

export type Node =
  | { k: 'const'; v: Value; bool: boolean } // bool: TRUE, FALSE, NULL (RocketMQ's BooleanConstantExpression)
  | { k: 'prop'; name: string }
  | { k: 'neg'; e: Node }
  | { k: 'cmp'; op: '>' | '>=' | '<' | '<='; l: Node; r: Node }
  | { k: 'eq'; l: Node; r: Node }
  | { k: 'and' | 'or'; l: Node; r: Node }
  | { k: 'not'; e: Node }
  | { k: 'in'; prop: string; list: ReadonlySet<string>; not: boolean }
  | { k: 'cast'; e: Node } // property used where a boolean is expected
  | { k: 'str'; op: 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH'; l: Node; s: string; not: boolean };

/** Nesting bound (parentheses, unary operators): protects the stack from hostile selectors. */
export const SQL92_NESTING_MAX = 128;

const BOOLEAN_KINDS = new Set(['cmp', 'eq', 'and', 'or', 'not', 'in', 'cast', 'str']);

export function isBooleanNode(n: Node): boolean {
  return n.k === 'const' ? n.bool : BOOLEAN_KINDS.has(n.k);
}

export function describe(n: Node): string {
  switch (n.k) {
    case 'const': return valueToString(n.v);
    case 'prop': return n.name;
    case 'neg': return `(- ${describe(n.e)})`;
    case 'not': return `(NOT ${describe(n.e)})`;
    case 'cast': return describe(n.e);
    case 'in': return `${n.prop} ${n.not ? 'NOT IN' : 'IN'} (${[...n.list].map((s) => valueToString(s)).join(', ')})`;
    case 'str': return `(${describe(n.l)} ${n.not ? 'NOT ' : ''}${n.op} ${valueToString(n.s)})`;
    case 'eq': return `(${describe(n.l)} == ${describe(n.r)})`;
    case 'and': return `(${describe(n.l)} AND ${describe(n.r)})`;
    case 'or': return `(${describe(n.l)} OR ${describe(n.r)})`;
    default: return `(${describe(n.l)} ${n.op} ${describe(n.r)})`;
  }
}

const TRUE_NODE: Node = { k: 'const', v: true, bool: true };
const FALSE_NODE: Node = { k: 'const', v: false, bool: true };
const NULL_NODE: Node = { k: 'const', v: null, bool: true };

function asBoolean(n: Node): Node {
  if (isBooleanNode(n)) return n;
  if (n.k === 'prop') return { k: 'cast', e: n };
  throw new Sql92Error(`Expression will not result in a boolean value: ${describe(n)}`);
}

function checkLessThanOperand(n: Node): void {
  if (n.k === 'const') {
    if (isNumber(n.v)) return;
    throw new Sql92Error(`Value '${describe(n)}' cannot be compared.`);
  }
  if (isBooleanNode(n)) throw new Sql92Error(`Value '${describe(n)}' cannot be compared.`);
}

function makeCmp(op: '>' | '>=' | '<' | '<=', l: Node, r: Node): Node {
  checkLessThanOperand(l);
  checkLessThanOperand(r);
  return { k: 'cmp', op, l, r };
}

function makeEqual(l: Node, r: Node): Node {
  for (const n of [l, r]) {
    if (n.k === 'const' && n.v === null) throw new Sql92Error(`'${describe(n)}' cannot be compared.`);
  }
  if (l.k === 'const' && r.k === 'const' && l.bool && !r.bool) {
    throw new Sql92Error(`'${describe(l)}' cannot be compared with '${describe(r)}'`);
  }
  return { k: 'eq', l, r };
}

function makeBetween(value: Node, low: Node, high: Node): Node {
  if (low.k === 'const' && high.k === 'const') {
    if (low.v === null || high.v === null) throw new Sql92Error('Illegal values of between, values can not be null!');
    let order: number;
    try {
      order = compareValues(high.v, low.v);
    } catch (e) {
      throw new Sql92Error(`Illegal values of between: ${(e as Error).message}`);
    }
    if (order < 0) {
      throw new Sql92Error(
        `Illegal values of between, left value(${describe(low)}) must less than or equal to right value(${describe(high)})`,
      );
    }
  }
  return { k: 'and', l: makeCmp('>=', value, low), r: makeCmp('<=', value, high) };
}

function makeFloat(text: string): Node {
  const v = Number(text);
  if (v > Number.MAX_VALUE) throw new Sql92Error(`${text} is greater than ${Number.MAX_VALUE}`);
  // RocketMQ refuses any float literal below Double.MIN_VALUE, which includes 0.0: write 0 instead.
  if (v < Number.MIN_VALUE) throw new Sql92Error(`${text} is less than ${Number.MIN_VALUE}`);
  return { k: 'const', v: jdouble(v), bool: false };
}

function makeDecimal(text: string): Node {
  const digits = /[lL]$/.test(text) ? text.slice(0, -1) : text;
  let v: bigint;
  try {
    v = parseJavaLong(digits);
  } catch {
    throw new Sql92Error(`number out of range: ${text}`);
  }
  const asInt = v >= BigInt(INT_RANGE.min) && v <= BigInt(INT_RANGE.max);
  return { k: 'const', v: asInt ? jint(Number(v)) : jlong(v), bool: false };
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[], private readonly src: string) {}

  parse(): Node {
    const n = asBoolean(this.orExpr());
    // RocketMQ's parser stops at the first token it cannot use and ignores the rest; we refuse
    // trailing text instead, so `a = 1 ANDD b = 2` is an error rather than a silent `a = 1`.
    if (this.peek().kind !== 'EOF') this.fail(`unexpected '${this.peek().text}'`);
    return n;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'EOF') this.i++;
    return t;
  }

  private accept(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.i++;
    return true;
  }

  private expect(kind: TokenKind): Token {
    const t = this.peek();
    if (t.kind !== kind) this.fail(`expected ${kind} but found ${t.kind === 'EOF' ? 'end of expression' : `'${t.text}'`}`);
    return this.next();
  }

  private fail(msg: string): never {
    throw new Sql92Error(`${msg} at position ${this.peek().pos} in: ${this.src}`);
  }

  private orExpr(): Node { return this.connectives('OR', () => this.andExpr()); }

  private andExpr(): Node { return this.connectives('AND', () => this.equalityExpr()); }

  /** operand (OR|AND operand)*, left-associative; both sides taken as booleans. */
  private connectives(op: 'OR' | 'AND', operand: () => Node): Node {
    const k = op === 'OR' ? 'or' : 'and';
    let left = operand();
    while (this.accept(op)) {
      const right = operand();
      left = { k, l: asBoolean(left), r: asBoolean(right) };
    }
    return left;
  }

  private equalityExpr(): Node {
    let left = this.comparisonExpr();
    for (;;) {
      const t = this.peek().kind;
      if (t === '=') {
        this.next();
        left = makeEqual(left, this.comparisonExpr());
      } else if (t === '<>') {
        this.next();
        left = { k: 'not', e: makeEqual(left, this.comparisonExpr()) };
      } else if (t === 'IS' && this.peek(1).kind === 'NULL') {
        this.i += 2;
        left = { k: 'eq', l: left, r: NULL_NODE };
      } else if (t === 'IS') {
        this.next();
        this.expect('NOT');
        this.expect('NULL');
        left = { k: 'not', e: { k: 'eq', l: left, r: NULL_NODE } };
      } else {
        return left;
      }
    }
  }

  private comparisonExpr(): Node {
    let left = this.unaryExpr();
    for (;;) {
      const t = this.peek().kind;
      const negated = t === 'NOT';
      const op = negated ? this.peek(1).kind : t;
      if (negated && op !== 'BETWEEN' && op !== 'IN' && op !== 'CONTAINS' && op !== 'STARTSWITH' && op !== 'ENDSWITH') {
        return left;
      }
      switch (op) {
        case '>': case '>=': case '<': case '<=':
          this.next();
          left = makeCmp(op, left, this.unaryExpr());
          break;
        case 'BETWEEN': {
          this.i += negated ? 2 : 1;
          const low = this.unaryExpr();
          this.expect('AND');
          const high = this.unaryExpr();
          left = negated
            ? { k: 'or', l: makeCmp('<', left, low), r: makeCmp('>', left, high) }
            : makeBetween(left, low, high);
          break;
        }
        case 'IN': {
          this.i += negated ? 2 : 1;
          if (left.k !== 'prop') throw new Sql92Error(`Expected a property for In expression, got: ${describe(left)}`);
          const list = new Set<string>();
          this.expect('(');
          do list.add(this.expect('STRING').text); while (this.accept(','));
          this.expect(')');
          left = { k: 'in', prop: left.name, list, not: negated };
          break;
        }
        case 'CONTAINS': case 'STARTSWITH': case 'ENDSWITH':
          // Operators of RocketMQ 5.x, accepted here as well.
          this.i += negated ? 2 : 1;
          left = { k: 'str', op, l: left, s: this.expect('STRING').text, not: negated };
          break;
        default:
          return left;
      }
    }
  }

  private unaryExpr(): Node {
    if (++this.depth > SQL92_NESTING_MAX) this.fail(`expression nested deeper than ${SQL92_NESTING_MAX}`);
    try {
      const t = this.peek().kind;
      if (t === '+') {
        this.next();
        return this.unaryExpr();
      }
      if (t === '-') {
        this.next();
        return { k: 'neg', e: this.unaryExpr() };
      }
      if (t === 'NOT') {
        this.next();
        return { k: 'not', e: asBoolean(this.unaryExpr()) };
      }
      return this.primaryExpr();
    } finally {
      this.depth--;
    }
  }

  private primaryExpr(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'STRING': return { k: 'const', v: t.text, bool: false };
      case 'DECIMAL': return makeDecimal(t.text);
      case 'FLOAT': return makeFloat(t.text);
      case 'TRUE': return TRUE_NODE;
      case 'FALSE': return FALSE_NODE;
      case 'NULL': return NULL_NODE;
      case 'ID': return { k: 'prop', name: t.text };
      case '(': {
        const n = this.orExpr();
        this.expect(')');
        return n;
      }
      default:
        throw new Sql92Error(
          `${t.kind === 'EOF' ? 'unexpected end of expression' : `unexpected '${t.text}'`} at position ${t.pos} in: ${this.src}`,
        );
    }
  }
}

export function parseSql92(expression: string): Node {
  if (expression.trim() === '') throw new Sql92Error('empty SQL92 expression');
  return new Parser(tokenize(expression), expression).parse();
}
