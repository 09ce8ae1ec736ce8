// The typed decoders parseFastJson results are read through: each names the field that has the
// wrong type, optional fields treat null/absent alike, loose readers give empty for what is not there.
import t from 'tap';
import { FastJsonError, parseFastJson } from '../src/fastjson.js';
import {
  arrayOf, asArray, asBoolean, asNumber, asNumeric, asObject, asString, asUnknown, entriesOf, isJsonObject,
  JsonDecodeError, looseArray, looseObject, optField, reqField, type Decoder,
} from '../src/json-decode.js';

t.test('scalar and container decoders accept their type and name what is wrong', async (t) => {
  t.equal(asString('x', 'v'), 'x');
  t.equal(asNumber(3.5, 'v'), 3.5);
  t.equal(asBoolean(false, 'v'), false);
  t.same(asArray([1, 'a'], 'v'), [1, 'a']);
  t.same(asObject({ a: 1 }, 'v'), { a: 1 });
  t.throws(() => asString(12, 'body.clientID'), new JsonDecodeError('body.clientID', 'a string', 12));
  t.throws(() => asString(12, 'body.clientID'), { message: 'body.clientID: expected a string, got number 12' });
  t.throws(() => asNumber('7', 'q'), { message: 'q: expected a number, got a string "7"' });
  t.throws(() => asNumber(Number.NaN, 'q'), JsonDecodeError, 'NaN is no number');
  t.throws(() => asBoolean('true', 'b'), { message: 'b: expected a boolean, got a string "true"' });
  t.throws(() => asObject([], 'o'), { message: 'o: expected an object, got an array' });
  t.throws(() => asObject(null, 'o'), { message: 'o: expected an object, got null' });
  t.throws(() => asArray({}, 'a'), { message: 'a: expected an array, got an object' });
  t.throws(() => asString('y'.repeat(100).length, 'len'), JsonDecodeError);
  t.match((() => { try { asNumber('z'.repeat(100), 'long'); } catch (e) { return (e as Error).message; } return ''; })(), /"z{40}…"$/, 'long strings are cut in the message');
  t.ok(new JsonDecodeError('w', 'x', 1) instanceof TypeError, 'a TypeError');
});

t.test('asNumeric takes numbers and numeric strings only', async (t) => {
  t.equal(asNumeric(4, 'q'), 4);
  t.equal(asNumeric('17', 'q'), 17);
  t.equal(asNumeric(' -2 ', 'q'), -2);
  t.throws(() => asNumeric('', 'q'), JsonDecodeError);
  t.throws(() => asNumeric('12abc', 'q'), { message: 'q: expected a number, got a string "12abc"' });
  t.throws(() => asNumeric(true, 'q'), { message: 'q: expected a number, got boolean true' });
});

t.test('fields: required and optional, nested labels', async (t) => {
  const o = asObject(parseFastJson('{"clientID":"c1","n":null,"list":[{"topic":"T"},{"topic":5}],0:"zero"}'), 'hb');
  t.equal(reqField(o, 'clientID', asString, 'hb'), 'c1');
  t.equal(optField(o, 'clientID', asString, 'hb'), 'c1');
  t.equal(optField(o, 'missing', asString, 'hb'), undefined, 'absent');
  t.equal(optField(o, 'n', asString, 'hb'), undefined, 'null reads as absent');
  t.equal(optField(o, '0', asString, 'hb'), 'zero', 'bare integer keys of fastjson');
  t.throws(() => reqField(o, 'missing', asString, 'hb'), { message: 'hb.missing: expected a value, got nothing' });
  t.throws(() => reqField(o, 'n', asString, 'hb'), { message: 'hb.n: expected a value, got null' });
  t.throws(() => optField(o, 'clientID', asNumber, 'hb'), { message: 'hb.clientID: expected a number, got a string "c1"' });
  const topic: Decoder<string> = (v, what) => reqField(asObject(v, what), 'topic', asString, what);
  t.throws(() => optField(o, 'list', arrayOf(topic), 'hb'), { message: 'hb.list[1].topic: expected a string, got number 5' });
  t.same(arrayOf(asNumber)([1, 2], 'a'), [1, 2]);
  t.throws(() => arrayOf(asNumber)('x', 'a'), { message: 'a: expected an array, got a string "x"' });
});

t.test('entriesOf reads a map with decoded values, keys as fastjson wrote them', async (t) => {
  const table = parseFastJson('{{"brokerName":"b","queueId":0,"topic":"t"}:12,{"brokerName":"b","queueId":1,"topic":"t"}:"13"}');
  const entries = entriesOf(asNumeric)(table, 'offsetTable');
  t.same(entries.map(([, v]) => v), [12, 13]);
  t.same(asObject(parseFastJson(entries[1]![0]), 'key'), { brokerName: 'b', queueId: 1, topic: 't' });
  t.throws(() => entriesOf(asNumber)(parseFastJson('{"a":1,"b":true}'), 'm'), { message: 'm.b: expected a number, got boolean true' });
  t.same(entriesOf(asUnknown)({ x: [1] }, 'm'), [['x', [1]]]);
  t.throws(() => entriesOf(asUnknown)([1], 'm'), { message: 'm: expected an object, got an array' });
});

t.test('loose readers and isJsonObject', async (t) => {
  t.same(looseObject({ a: 1 }), { a: 1 });
  for (const v of [null, undefined, 3, 'x', [1]]) t.same(looseObject(v), {}, `looseObject(${JSON.stringify(v)})`);
  t.same(looseArray([1, 2]), [1, 2]);
  for (const v of [null, undefined, {}, 'x']) t.same(looseArray(v), [], `looseArray(${JSON.stringify(v)})`);
  t.ok(Object.isFrozen(looseObject(null)), 'the empty fallback cannot be written to');
  t.ok(isJsonObject({}));
  t.notOk(isJsonObject([]));
  t.notOk(isJsonObject(null));
  t.notOk(isJsonObject('{}'));
});

t.test('malformed bodies: a parse error stays a FastJsonError, a wrong type a JsonDecodeError', async (t) => {
  const hb = (text: string): string => {
    const o = asObject(parseFastJson(text), 'heartbeat body');
    return optField(o, 'clientID', asString, 'heartbeat body') ?? '';
  };
  t.equal(hb('{"clientID":"c"}'), 'c');
  t.throws(() => hb('{"clientID":'), FastJsonError);
  t.throws(() => hb('[]'), { message: 'heartbeat body: expected an object, got an array' });
  t.throws(() => hb('{"clientID":{"x":1}}'), { message: 'heartbeat body.clientID: expected a string, got an object' });
});
