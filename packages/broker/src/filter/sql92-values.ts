// Values of the SQL92 selector and the comparison rules of RocketMQ's filter, which follow Java's
// boxed types: literals are int, long or double; message properties are always strings and are
// converted to the other operand's type when compared (Integer.valueOf, Long.valueOf,
// Double.valueOf, Boolean.valueOf). A failed conversion is an evaluation error, and the broker
// treats an evaluation error as "no match" for the whole expression.

export type JInt = { readonly t: 'I'; readonly v: number };
export type JLong = { readonly t: 'L'; readonly v: bigint };
export type JDouble = { readonly t: 'D'; readonly v: number };
export type JNumber = JInt | JLong | JDouble;
export type Value = null | boolean | string | JNumber;

/** Thrown while evaluating (never while compiling); the filter answers "no match". */
export class Sql92EvalError extends Error {
  override name = 'Sql92EvalError';
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

export const jint = (v: number): JInt => ({ t: 'I', v });
export const jlong = (v: bigint): JLong => ({ t: 'L', v });
export const jdouble = (v: number): JDouble => ({ t: 'D', v });

export function isNumber(v: Value): v is JNumber {
  return v !== null && typeof v === 'object';
}

type Klass = 'B' | 'S' | 'I' | 'L' | 'D';
function klass(v: Exclude<Value, null>): Klass {
  if (typeof v === 'boolean') return 'B';
  if (typeof v === 'string') return 'S';
  return v.t;
}

/** Java Integer.parseInt / Long.parseLong: optional sign, ASCII digits, range-checked. */
function parseJavaInteger(s: string, min: bigint, max: bigint): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Sql92EvalError(`For input string: "${s}"`);
  const v = BigInt(s);
  if (v < min || v > max) throw new Sql92EvalError(`For input string: "${s}" (out of range)`);
  return v;
}

export function parseJavaInt(s: string): number {
  return Number(parseJavaInteger(s, BigInt(INT_MIN), BigInt(INT_MAX)));
}

export function parseJavaLong(s: string): bigint {
  return parseJavaInteger(s, LONG_MIN, LONG_MAX);
}

/** Java Double.valueOf for decimal text: trims ASCII control/space, allows NaN, Infinity and a d/f suffix. */
export function parseJavaDouble(s: string): number {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  const m = /^([+-]?)(NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[fFdD]?$/.exec(t);
  if (m === null || (/[fFdD]$/.test(t) && /(NaN|Infinity)/.test(t))) {
    throw new Sql92EvalError(`For input string: "${s}"`);
  }
  const mag = m[2] === 'NaN' ? NaN : m[2] === 'Infinity' ? Infinity : Number(m[2]);
  return m[1] === '-' ? -mag : mag;
}

/** Java Boolean.valueOf(String): true only for "true", ignoring case. */
export function parseJavaBoolean(s: string): boolean {
  return s.toLowerCase() === 'true';
}

/** Double.compare: total order, -0.0 < 0.0, NaN above everything and equal to itself. */
function compareDouble(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (a === 0 && b === 0) {
    const an0 = Object.is(a, -0);
    const bn0 = Object.is(b, -0);
    return an0 === bn0 ? 0 : an0 ? -1 : 1;
  }
  return 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function toDouble(v: JNumber): number {
  return v.t === 'L' ? Number(v.v) : v.v;
}

function fromString(s: string, to: Klass): Exclude<Value, null> {
  switch (to) {
    case 'B': return parseJavaBoolean(s);
    case 'I': return jint(parseJavaInt(s));
    case 'L': return jlong(parseJavaLong(s));
    case 'D': return jdouble(parseJavaDouble(s));
    default: return s;
  }
}

/**
 * RocketMQ's mixed-type comparison: widen number to number, convert a string to the other side's
 * type; a boolean against a non-string number compares as "less" (-1).
 */
export function compareValues(lv: Exclude<Value, null>, rv: Exclude<Value, null>): number {
  let l = lv;
  let r = rv;
  const lc = klass(l);
  const rc = klass(r);
  if (lc !== rc) {
    switch (lc) {
      case 'B':
        // Java casts the Boolean itself to String here, which fails (ClassCastException).
        if (rc === 'S') throw new Sql92EvalError('cannot compare a boolean with a string');
        return -1;
      case 'I':
      case 'L':
      case 'D': {
        const ln = l as JNumber;
        if (rc === 'S') {
          r = fromString(r as string, lc);
        } else if (rc === 'B') {
          return -1;
        } else if (lc === 'D' || rc === 'D') {
          l = jdouble(toDouble(ln));
          r = jdouble(toDouble(r as JNumber));
        } else {
          l = jlong(BigInt(ln.v));
          r = jlong(BigInt((r as JNumber).v));
        }
        break;
      }
      case 'S':
        l = fromString(l as string, rc);
        break;
    }
  }
  return compareSameKind(l, r);
}

function compareSameKind(l: Exclude<Value, null>, r: Exclude<Value, null>): number {
  if (typeof l === 'boolean') return l === r ? 0 : l ? 1 : -1;
  if (typeof l === 'string') {
    const rs = r as string;
    return l < rs ? -1 : l > rs ? 1 : 0;
  }
  const rn = r as JNumber;
  if (l.t === 'L') {
    const rb = rn.v as bigint;
    return l.v < rb ? -1 : l.v > rb ? 1 : 0;
  }
  if (l.t === 'I') return sign(l.v - (rn.v as number));
  return compareDouble(l.v, rn.v as number);
}

/** Java Object.equals between two non-null values (same class and same value; Double by bits). */
export function javaEquals(l: Exclude<Value, null>, r: Exclude<Value, null>): boolean {
  const lc = klass(l);
  if (lc !== klass(r)) return false;
  if (lc === 'D') return compareDouble((l as JDouble).v, (r as JDouble).v) === 0;
  if (lc === 'I' || lc === 'L') return (l as JNumber).v === (r as JNumber).v;
  return l === r;
}

export function negate(v: JNumber): JNumber {
  switch (v.t) {
    case 'I': return jint(-v.v | 0);
    case 'L': return jlong(BigInt.asIntN(64, -v.v));
    default: return jdouble(-v.v);
  }
}

export function valueToString(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return String(v.v);
}

export const INT_RANGE = { min: INT_MIN, max: INT_MAX } as const;
