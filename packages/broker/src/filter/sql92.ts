// SQL92 message filter (ExpressionType "SQL92"): compileSql92 parses a selector once into a tree of
// closures; evaluate() runs it against a message's properties. Three-valued logic as in RocketMQ:
// a missing property yields NULL (unknown), comparisons with NULL are unknown, and only TRUE
// matches. Any evaluation error (a property that does not convert to the number it is compared
// with) makes the whole message not match, as the 4.x broker does.

import { parseSql92, type Node } from './sql92-parser.js';
import { Sql92Error } from './sql92-lexer.js';
import {
  compareValues, javaEquals, isNumber, jdouble, negate, parseJavaDouble, Sql92EvalError, type Value,
} from './sql92-values.js';

export { Sql92Error } from './sql92-lexer.js';
export { Sql92EvalError } from './sql92-values.js';

export interface Sql92Expression {
  readonly expression: string;
  /** true only when the selector evaluates to TRUE; unknown (NULL) and errors are false. */
  evaluate(props: Map<string, string>): boolean;
  /** The selector's three-valued result: true, false, or null (unknown); throws Sql92EvalError. */
  evaluateRaw(props: Map<string, string>): boolean | null;
}

type Props = Map<string, string>;
type Fn = (p: Props) => Value;

/**
 * AND (decisive = false) or OR (decisive = true) in SQL's three-valued logic: a side with the
 * decisive value decides (the right side is not evaluated after a decisive left); else the result
 * is unknown (null) when either side is, the other value when neither is.
 */
function connective(l: Fn, r: Fn, decisive: boolean): Fn {
  return (p) => {
    const lv = l(p);
    if (lv === decisive) return decisive;
    const rv = r(p);
    if (rv === decisive) return decisive;
    return lv === null || rv === null ? null : !decisive;
  };
}

function compile(n: Node): Fn {
  switch (n.k) {
    case 'const': {
      const v = n.v;
      return () => v;
    }
    case 'prop': {
      const name = n.name;
      return (p) => p.get(name) ?? null;
    }
    case 'neg': {
      const e = compile(n.e);
      return (p) => {
        const v = e(p);
        return isNumber(v) ? negate(v) : null;
      };
    }
    case 'cast': {
      const e = compile(n.e);
      return (p) => {
        const v = e(p);
        if (v === null) return null;
        return typeof v === 'boolean' ? v : false;
      };
    }
    case 'not': {
      const e = compile(n.e);
      return (p) => {
        const v = e(p);
        return v === null ? null : !v;
      };
    }
    case 'and': return connective(compile(n.l), compile(n.r), false);
    case 'or': return connective(compile(n.l), compile(n.r), true);
    case 'eq': {
      const l = compile(n.l);
      const r = compile(n.r);
      return (p) => {
        const lv = l(p);
        const rv = r(p);
        if (lv === null || rv === null) {
          if (lv === null && rv === null) return true;
          return lv === null ? null : false;
        }
        if (javaEquals(lv, rv)) return true;
        return compareValues(lv, rv) === 0;
      };
    }
    case 'cmp': {
      const l = compile(n.l);
      const r = compile(n.r);
      const test = CMP_TESTS[n.op];
      return (p) => {
        const lv = l(p);
        if (lv === null) return null;
        const rv = r(p);
        if (rv === null) return null;
        // Two strings (two properties) are compared as numbers, or not at all.
        if (typeof lv === 'string' && typeof rv === 'string') {
          return test(compareValues(jdouble(parseJavaDouble(lv)), jdouble(parseJavaDouble(rv))));
        }
        return test(compareValues(lv, rv));
      };
    }
    case 'in': {
      const { prop, list, not } = n;
      return (p) => {
        const v = p.get(prop);
        if (v === undefined) return null;
        return list.has(v) !== not;
      };
    }
    case 'str': {
      const l = compile(n.l);
      const { s, not } = n;
      const test = n.op === 'CONTAINS' ? (v: string) => v.includes(s)
        : n.op === 'STARTSWITH' ? (v: string) => v.startsWith(s) : (v: string) => v.endsWith(s);
      return (p) => {
        const v = l(p);
        if (v === null) return null;
        if (typeof v !== 'string') return false;
        return test(v) !== not;
      };
    }
  }
}

const CMP_TESTS: Record<'>' | '>=' | '<' | '<=', (c: number) => boolean> = {
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
};

/** Parses and checks a selector; throws Sql92Error when RocketMQ would refuse it. */
export function compileSql92(expression: string): Sql92Expression {
  const root = compile(parseSql92(expression));
  const evaluateRaw = (props: Props): boolean | null => {
    const v = root(props);
    return typeof v === 'boolean' ? v : null;
  };
  return {
    expression,
    evaluateRaw,
    evaluate(props: Props): boolean {
      try {
        return evaluateRaw(props) === true;
      } catch (e) {
        if (e instanceof Sql92EvalError) return false;
        throw e;
      }
    },
  };
}

/**
 * compileSql92 behind a small LRU cache (RocketMQ keeps 100 parsed selectors): every consumer of a
 * group sends the same selector in every heartbeat. Failures are cached too.
 */
export function compileSql92Cached(expression: string): Sql92Expression {
  const hit = cache.get(expression);
  if (hit !== undefined) {
    cache.delete(expression);
    cache.set(expression, hit);
    if (hit instanceof Sql92Error) throw hit;
    return hit;
  }
  let result: Sql92Expression | Sql92Error;
  try {
    result = compileSql92(expression);
  } catch (e) {
    if (!(e instanceof Sql92Error)) throw e;
    result = e;
  }
  cache.set(expression, result);
  if (cache.size > SQL92_CACHE_ENTRIES_MAX) cache.delete(cache.keys().next().value!);
  if (result instanceof Sql92Error) throw result;
  return result;
}

export const SQL92_CACHE_ENTRIES_MAX = 100;
const cache = new Map<string, Sql92Expression | Sql92Error>();
