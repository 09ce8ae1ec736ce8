// QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33): the stored record comes back byte for byte.
import t from 'tap';
import { decodeMessages, encodeCommandToBuffer } from '@rmq/remoting';
import { requests } from '../src/processor/query-message.js';
import { exchange, headerText, makeContext, processors, request, tempDir } from './admin-helpers.js';

t.test('33 VIEW_MESSAGE_BY_ID replays admin-query-msg-by-id.json byte for byte', async (t) => {
  const ctx = makeContext(tempDir(t));
  const call = processors(requests, ctx);
  const { req, resHex, res } = exchange('admin-query-msg-by-id.json', 33);
  const record = res.bodyBuffer()!;
  ctx.store.put('FixtureTopic', 0, record, 1795742400000, ['order-1001'], 663);
  const ours = await call(req);
  t.equal(ours.code, 0);
  t.same(encodeCommandToBuffer(ours), resHex, 'whole frame identical');
  const [m] = decodeMessages(ours.bodyBuffer()!);
  t.equal(m!.topic, 'FixtureTopic');

  const missing = await call(request(33, { offset: 999999 }));
  t.equal(missing.code, 1);
  t.equal(missing.remark, 'can not find message by the offset, 999999');
  t.equal(missing.bodyLength(), 0);
});

t.test('12 QUERY_MESSAGE by key', async (t) => {
  const ctx = makeContext(tempDir(t));
  const call = processors(requests, ctx);
  const record = exchange('admin-query-msg-by-id.json', 33).res.bodyBuffer()!;
  ctx.store.put('FixtureTopic', 0, record, 1000, ['order-1001', 'key1']);
  ctx.store.put('FixtureTopic', 1, record, 2000, ['key1']);
  const q = (key: string, over: Record<string, string | number> = {}) => request(12,
    { topic: 'FixtureTopic', key, maxNum: 32, beginTimestamp: 0, endTimestamp: 9_999_999_999_999, ...over });

  let r = await call(q('key1'));
  t.equal(r.code, 0);
  t.equal(r.remark, null);
  t.equal(r.bodyLength(), record.length * 2, 'records concatenated');
  t.equal(decodeMessages(r.bodyBuffer()!).length, 2);
  t.equal(r.ext('indexLastUpdateTimestamp'), '2000');
  t.equal(r.ext('indexLastUpdatePhyoffset'), String(record.length * 2));
  t.match(headerText(encodeCommandToBuffer(r)), /"extFields":\{"indexLastUpdate/);

  r = await call(q('key1', { maxNum: 1 }));
  t.equal(decodeMessages(r.bodyBuffer()!).length, 1, 'maxNum');
  r = await call(q('key1', { beginTimestamp: 1500 }));
  t.equal(decodeMessages(r.bodyBuffer()!).length, 1, 'time range');

  r = await call(q('absent'));
  t.equal(r.code, 22);
  t.equal(r.remark, 'can not find message, maybe time range not correct');
  t.equal(r.ext('indexLastUpdateTimestamp'), '2000', 'index position also on a miss');

  r = await call(q('key1', { _UNIQUE_KEY_QUERY: 'true', maxNum: 1000 }));
  t.equal(r.code, 0);
});
