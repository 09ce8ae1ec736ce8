// SQL92 selector: grammar, RocketMQ's parse-time checks, and its three-valued, Java-typed evaluation.
import t from 'tap';
import { compileSql92, compileSql92Cached, Sql92Error, Sql92EvalError } from '../src/filter/sql92.js';

const props = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
const m = (expr: string, o: Record<string, string> = {}): boolean => compileSql92(expr).evaluate(props(o));
const raw = (expr: string, o: Record<string, string> = {}): boolean | null => compileSql92(expr).evaluateRaw(props(o));

t.test('numeric comparisons convert the property to the literal type', async (t) => {
  const p = { a: '5', d: '2.5', big: '5000000000', neg: '-3' };
  t.ok(m('a > 3', p));
  t.notOk(m('a > 5', p));
  t.ok(m('a >= 5', p));
  t.ok(m('a < 6', p));
  t.ok(m('a <= 5', p));
  t.ok(m('a = 5', p));
  t.ok(m('a <> 4', p));
  t.notOk(m('a <> 5', p));
  t.ok(m('d > 2.25', p));
  t.ok(m('d < 3.0', p));
  t.ok(m('a = 5.0', p), 'int text against a double literal');
  t.ok(m('big > 4000000000', p), 'long literal -> Long.valueOf');
  t.ok(m('big = 5000000000L', p));
  t.ok(m('neg < -2', p), 'unary minus');
  t.ok(m('neg = -3', p));
  t.ok(m('a = +5', p), 'unary plus');
  t.ok(m('a > 1E0', p));
  t.ok(m('a < .6E1', p));
});

t.test('a property that does not convert is an evaluation error: the message does not match', async (t) => {
  t.notOk(m('a > 3', { a: 'abc' }));
  t.throws(() => raw('a > 3', { a: 'abc' }), Sql92EvalError);
  // Integer.valueOf("2.5") fails in Java, so a decimal property never equals an int literal ...
  t.notOk(m('d = 2', { d: '2.5' }));
  t.notOk(m('d > 1', { d: '2.5' }));
  // ... but matches a double literal.
  t.ok(m('d > 1.0', { d: '2.5' }));
  // The error sinks the whole expression, even an OR whose other side is true.
  t.notOk(m('a > 3 OR b = \'x\'', { a: 'abc', b: 'x' }));
  // Short-circuit: the right side is not evaluated when the left decides.
  t.ok(m('b = \'x\' OR a > 3', { a: 'abc', b: 'x' }));
  // Out of int range for an int literal.
  t.notOk(m('big > 1', { big: '5000000000' }));
});

t.test('strings: = and <> compare text, < and > need numbers on both sides', async (t) => {
  const p = { tag: 'TagA', x: '10', y: '9', s: 'abc' };
  t.ok(m("tag = 'TagA'", p));
  t.notOk(m("tag = 'taga'", p), 'case-sensitive');
  t.ok(m("tag <> 'TagB'", p));
  t.ok(m('x > y', p), 'two properties compare as doubles, not as text');
  t.notOk(m('s > x', p), 'non-numeric text in an ordering comparison: error, no match');
  t.ok(m("s = 'abc' AND x = '10'", p));
  t.ok(m("x = '10.0'", p) === false, "string equality is textual: '10' <> '10.0'");
  t.ok(m("q = 'it''s'", { q: "it's" }), 'doubled quote escapes a quote');
  t.ok(m("u = 'héllo ✓'", { u: 'héllo ✓' }), 'unicode literal');
  t.throws(() => compileSql92("a > 'x'"), Sql92Error, 'string literal in an ordering comparison');
  t.throws(() => compileSql92("'x' < a"), Sql92Error);
});

t.test('missing properties: comparisons are unknown, so the message does not match', async (t) => {
  for (const e of ['a > 1', 'a < 1', 'a = 1', 'a <> 1', "a = 'x'", "a <> 'x'", 'a BETWEEN 1 AND 3',
    'a NOT BETWEEN 1 AND 3', "a IN ('x')", "a NOT IN ('x')", 'NOT (a = 1)', 'a', 'NOT a']) {
    t.equal(raw(e), null, e);
    t.notOk(m(e), e);
  }
  t.ok(m('a IS NULL'));
  t.notOk(m('a IS NOT NULL'));
  t.notOk(m('a IS NULL', { a: '' }), 'an empty value is not NULL');
  t.ok(m('a IS NOT NULL', { a: '' }));
  t.ok(m('a is not null and a > 10', { a: '11' }));
});

t.test('three-valued AND / OR / NOT', async (t) => {
  t.equal(raw('a = 1 AND TRUE'), null);
  t.equal(raw('a = 1 AND FALSE'), false);
  t.equal(raw('a = 1 OR TRUE'), true);
  t.equal(raw('a = 1 OR FALSE'), null);
  t.equal(raw('NOT (a = 1)'), null);
  t.equal(raw('NOT (a = 1)', { a: '2' }), true);
  t.ok(m('TRUE'));
  t.notOk(m('FALSE'));
  t.notOk(m('NULL'));
  t.ok(m('NOT FALSE'));
  t.ok(m('(a = 1 OR b = 2) AND c = 3', { b: '2', c: '3' }));
  t.notOk(m('a = 1 OR b = 2 AND c = 3', { b: '2', c: '4' }));
  t.ok(m('a = 1 OR b = 2 AND c = 3', { a: '1', c: '4' }), 'AND binds tighter than OR');
});

t.test('NOT binds tighter than comparisons, as in RocketMQ', async (t) => {
  // `NOT a = 1` is `(NOT a) = 1`: a boolean compared with a number, never true.
  t.notOk(m('NOT a = 1', { a: '2' }));
  t.notOk(m('NOT a = 1', { a: '1' }));
  t.ok(m('NOT (a = 1)', { a: '2' }));
  t.throws(() => compileSql92('NOT a BETWEEN 1 AND 2'), Sql92Error, 'a boolean cannot be ordered');
});

t.test('BETWEEN / NOT BETWEEN', async (t) => {
  t.ok(m('a BETWEEN 1 AND 3', { a: '1' }));
  t.ok(m('a BETWEEN 1 AND 3', { a: '3' }));
  t.notOk(m('a BETWEEN 1 AND 3', { a: '4' }));
  t.ok(m('a NOT BETWEEN 1 AND 3', { a: '4' }));
  t.notOk(m('a NOT BETWEEN 1 AND 3', { a: '2' }));
  t.ok(m('a between 1.5 and 2.5', { a: '2' }), 'double bounds, property converted with Double.valueOf');
  t.ok(m('a BETWEEN -5 AND -1', { a: '-3' }));
  t.ok(m('a BETWEEN 1 AND 3 AND b = 1', { a: '2', b: '1' }), 'AND after BETWEEN bounds');
  t.throws(() => compileSql92('a BETWEEN 3 AND 1'), Sql92Error, 'bounds out of order');
  t.throws(() => compileSql92("a BETWEEN 'a' AND 'b'"), Sql92Error, 'string bounds');
  t.throws(() => compileSql92('a BETWEEN NULL AND 1'), Sql92Error);
  t.throws(() => compileSql92('a BETWEEN 1'), Sql92Error);
});

t.test('IN / NOT IN', async (t) => {
  t.ok(m("TAGS IN ('TagA', 'TagB')", { TAGS: 'TagB' }));
  t.notOk(m("TAGS IN ('TagA', 'TagB')", { TAGS: 'TagC' }));
  t.ok(m("TAGS NOT IN ('TagA', 'TagB')", { TAGS: 'TagC' }));
  t.notOk(m("TAGS NOT IN ('TagA')", { TAGS: 'TagA' }));
  t.ok(m("n IN ('1','2','3','4','5','6')", { n: '6' }), 'long lists');
  t.ok(m("(TAGS is not null and TAGS in('TagB')) and (a is not null and a > 10)", { TAGS: 'TagB', a: '11' }));
  t.throws(() => compileSql92("5 IN ('5')"), Sql92Error, 'IN needs a property');
  t.throws(() => compileSql92('a IN (1, 2)'), Sql92Error, 'IN takes string literals only');
  t.throws(() => compileSql92('a IN ()'), Sql92Error);
});

t.test('boolean literals and properties used as booleans', async (t) => {
  t.ok(m('flag = TRUE', { flag: 'true' }));
  t.ok(m('flag = TRUE', { flag: 'TRUE' }), 'Boolean.valueOf ignores case');
  t.ok(m('flag = FALSE', { flag: 'yes' }), 'anything but "true" is false');
  t.ok(m('flag <> TRUE', { flag: 'no' }));
  t.notOk(m('flag', { flag: 'true' }), 'a bare property is a string, never TRUE');
  t.equal(raw('flag', { flag: 'true' }), false);
  t.ok(m('(a > 1) = TRUE', { a: '2' }));
  t.notOk(m("(a > 1) = 'true'", { a: '2' }), 'boolean against a string is an error in RocketMQ');
  t.throws(() => compileSql92('TRUE = 1'), Sql92Error);
  t.notOk(m('1 = TRUE'), 'number against boolean is never equal');
  t.throws(() => compileSql92('a = NULL'), Sql92Error, 'use IS NULL');
  t.throws(() => compileSql92('a > TRUE'), Sql92Error);
  t.throws(() => compileSql92('a > (b = 1)'), Sql92Error);
});

t.test('keywords are case-insensitive, property names are not', async (t) => {
  t.ok(m("a = 1 and b = 'x' or c is null", { a: '1', b: 'x' }));
  t.ok(m('a Between 1 And 2 AnD Not (b iS nOt NuLl)', { a: '1' }));
  t.notOk(m('A = 1', { a: '1' }));
  t.ok(m('_x$1 = 1', { _x$1: '1' }));
  t.ok(m("order.region = 'eu'", { 'order.region': 'eu' }), 'dotted names');
});

t.test('comments and whitespace', async (t) => {
  t.ok(m('a = 1 -- trailing comment\n AND b = 2', { a: '1', b: '2' }));
  t.ok(m('/* lead */ a =\t1 /* mid */ AND\r\n b = 2', { a: '1', b: '2' }));
  t.ok(m('a = 1 -- at the end', { a: '1' }));
});

t.test('numeric literal rules', async (t) => {
  t.ok(m('a = 9223372036854775807', { a: '9223372036854775807' }));
  t.throws(() => compileSql92('a = 9223372036854775808'), Sql92Error, 'beyond Long.MAX_VALUE');
  t.throws(() => compileSql92('a = 007'), Sql92Error, 'no octal');
  t.throws(() => compileSql92('a > 0.0'), Sql92Error, 'RocketMQ refuses floats below Double.MIN_VALUE');
  t.throws(() => compileSql92('a > 1e999'), Sql92Error);
  t.ok(m('a > 0', { a: '0.5' }) === false, 'Integer.valueOf("0.5") fails: no match');
  t.ok(m('a > 5.', { a: '6' }));
  t.ok(m('a > 0.1', { a: '0.5' }));
  t.ok(m('a = 1.5e2', { a: '150' }));
  t.ok(m('a = 150', { a: '+150' }), 'Java parseInt accepts a plus sign');
  t.notOk(m('a = 150', { a: ' 150' }), 'but no spaces');
  t.ok(m('a = 150.0', { a: ' 150 ' }), 'Double.valueOf trims');
  t.ok(m('a = 1.0', { a: '1d' }), 'Double.valueOf accepts a d suffix');
});

t.test('CONTAINS / STARTSWITH / ENDSWITH (RocketMQ 5 operators)', async (t) => {
  const p = { s: 'order-1001' };
  t.ok(m("s CONTAINS '10'", p));
  t.ok(m("s NOT CONTAINS 'x'", p));
  t.ok(m("s STARTSWITH 'order'", p));
  t.ok(m("s ENDSWITH '1001'", p));
  t.notOk(m("s ENDSWITH 'order'", p));
  t.equal(raw("z CONTAINS 'a'"), null);
});

t.test('syntax errors', async (t) => {
  for (const e of ['', '   ', 'a =', '= 1', 'a = 1 AND', '(a = 1', 'a = 1)', "a = 'x", 'a == 1', 'a != 1',
    'a = 1 b = 2', 'a = 1 ANDD b = 2', '5', "'x'", '-a', 'a IS NOT', 'a IS 1', '/* open', 'a # 1',
    "a IN 'x'", "a IN ('x',)", 'a > 1 > 2', 'a LIKE \'x%\'']) {
    t.throws(() => compileSql92(e), Sql92Error, JSON.stringify(e));
  }
  t.throws(() => compileSql92('('.repeat(500) + 'a = 1' + ')'.repeat(500)), Sql92Error, 'nesting bound');
  t.ok(m('('.repeat(50) + 'a = 1' + ')'.repeat(50), { a: '1' }));
  t.throws(() => compileSql92('a = 1 AND '.repeat(8000) + 'TRUE'), Sql92Error, 'length bound');
});

t.test('Sql92Error carries a useful message', async (t) => {
  try {
    compileSql92('a = 1 AND (b > 2');
    t.fail('should throw');
  } catch (e) {
    t.type(e, Sql92Error);
    t.match((e as Error).message, /expected \) but found end of expression/);
  }
});

t.test('compileSql92Cached returns the same compiled selector and caches failures', async (t) => {
  const a = compileSql92Cached('a > 1');
  t.equal(compileSql92Cached('a > 1'), a);
  t.throws(() => compileSql92Cached('a >'), Sql92Error);
  t.throws(() => compileSql92Cached('a >'), Sql92Error);
  for (let i = 0; i < 150; i++) compileSql92Cached(`a > ${i}`);
  t.not(compileSql92Cached('a > 1'), a, 'evicted after 100 newer entries');
});

t.test("the selectors of RocketMQ 4.9.8's own filter tests behave the same here", async (t) => {
  for (const e of ['a=3 and b<>4 And c>5 AND d<=4', 'a=3  and    b<>4 And c>5 AND d<=4', 'a=3 or b<>4 Or c>5 OR d<=4',
    "a in ('3', '4', '5')", "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
    '(a between 2 and 10) AND (b not between 6 and 9)', 'a is null', 'a is not null', 'a <= now']) {
    t.doesNotThrow(() => compileSql92(e), e);
  }
  for (const e of ['a and between 2 and 10', 'a > 100000000000000000000000', ' a between 10 and 0',
    `a > 1${'1'.repeat(400)}.${'1'.repeat(400)}`]) {
    t.throws(() => compileSql92(e), Sql92Error, e);
  }
  t.ok(m("TAGS is not null and TAGS='''''tag'''''", { TAGS: "''tag''" }));
  t.notOk(m('a between up and low', { a: '3.14' }));
  t.notOk(m('a between up and low', { a: '3.14', up: 'up', low: 'low' }));
  t.notOk(m('key is not null and key between 0 and 100', { key: 'con' }));
  t.notOk(m('a between 0 and 100', { a: 'abc' }));
  t.ok(m('a=b', { a: '3.14', b: '3.14' }));
  t.notOk(m('a<>b', { a: '3.14', b: '3.14' }));
  t.ok(m('a<>b', { a: '3.14', b: '3.141' }));
  t.ok(m('a > 3.1E10', { a: '3.1415E10' }));
  t.ok(m('a > 3.14', { a: '3.1415' }));
  t.notOk(m('a > b', { a: '10', b: '20' }));
  t.ok(m('a > b', { a: '20', b: '10' }));
  const nullOr = "a is null OR a='hello'";
  t.ok(m(nullOr));
  t.ok(m(nullOr, { a: 'hello' }));
  t.notOk(m(nullOr, { a: 'abc' }));
  t.ok(m('a=TRUE OR b=FALSE', { a: 'true', b: 'false' }));
  t.notOk(m('a=TRUE OR b=FALSE', { a: 'false', b: 'true' }));
  t.ok(m("a is not null and a='hello'", { a: 'hello' }));
  const and = 'a=3 and b<>4 And c>5 AND d<=4';
  t.ok(m(and, { a: '3', b: '5', c: '6', d: '4' }));
  t.notOk(m(and, { a: '4', b: '5', c: '6', d: '4' }));
  const or = 'a=3 or b<>4 Or c>5 OR d<=4';
  t.ok(m(or, { a: '4', b: '4', c: '5', d: '4' }));
  t.notOk(m(or, { a: '4', b: '4', c: '5', d: '5' }));
  t.ok(m('a between 2 and 10', { a: '2' }));
  t.notOk(m('a not between 2 and 10', { a: '10' }));
});
