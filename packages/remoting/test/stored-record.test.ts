// decodeStoredRecord/decodeMessages on hand-built records: V1 and V2 (int16 topic length) layouts,
// IPv4 hosts formatted once and reused, the offset message id from the store host bytes, and the
// `exact` option the client decodes pull replies with.
import t from 'tap';
import {
  createOffsetMsgId, decodeMessages, decodeStoredFields, decodeStoredRecord, MESSAGE_MAGIC_CODE_V1, MESSAGE_MAGIC_CODE_V2, newStoredRecord,
  parsePropertiesToRecord,
} from '../src/message.js';

interface Rec { magic?: number; topic?: string; props?: string; body?: string; commitLogOffset?: number; storePort?: number; pad?: number }

function record(r: Rec = {}): Buffer {
  const magic = r.magic ?? MESSAGE_MAGIC_CODE_V1;
  const v2 = magic === MESSAGE_MAGIC_CODE_V2;
  const topic = Buffer.from(r.topic ?? 'TopicA');
  const props = Buffer.from(r.props ?? 'UNIQ_KEY\u0001ABC\u0002TAGS\u0001t1');
  const body = Buffer.from(r.body ?? 'hello');
  const size = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + body.length + (v2 ? 2 : 1) + topic.length + 2 + props.length + (r.pad ?? 0);
  const b = Buffer.alloc(size);
  let p = 0;
  p = b.writeInt32BE(size, p); p = b.writeInt32BE(magic, p); p = b.writeInt32BE(7, p); p = b.writeInt32BE(3, p); p = b.writeInt32BE(0, p);
  p = b.writeBigInt64BE(42n, p); p = b.writeBigInt64BE(BigInt(r.commitLogOffset ?? 4096), p); p = b.writeInt32BE(0, p);
  p = b.writeBigInt64BE(1000n, p);
  p += Buffer.from([10, 0, 0, 1]).copy(b, p); p = b.writeInt32BE(5555, p);
  p = b.writeBigInt64BE(2000n, p);
  p += Buffer.from([127, 0, 0, 1]).copy(b, p); p = b.writeInt32BE(r.storePort ?? 10911, p);
  p = b.writeInt32BE(0, p); p = b.writeBigInt64BE(0n, p);
  p = b.writeInt32BE(body.length, p); p += body.copy(b, p);
  p = v2 ? b.writeInt16BE(topic.length, p) : b.writeUInt8(topic.length, p); p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p); props.copy(b, p);
  return b;
}

t.test('V1 and V2 records decode alike', async (t) => {
  for (const magic of [MESSAGE_MAGIC_CODE_V1, MESSAGE_MAGIC_CODE_V2]) {
    const r = decodeStoredRecord(record({ magic }), 0, { exact: true });
    t.equal(r.topic, 'TopicA');
    t.equal(r.body.toString(), 'hello');
    t.equal(r.queueId, 3);
    t.equal(r.queueOffset, 42);
    t.equal(r.bornHost, '10.0.0.1:5555');
    t.equal(r.storeHost, '127.0.0.1:10911');
    t.equal(r.propertiesText, 'UNIQ_KEY\u0001ABC\u0002TAGS\u0001t1');
    t.equal(r.offsetMsgId, createOffsetMsgId('127.0.0.1', 10911, 4096));
  }
  const long = 'T'.repeat(300);
  t.equal(decodeStoredRecord(record({ magic: MESSAGE_MAGIC_CODE_V2, topic: long })).topic, long, 'V2 topics may pass 255 bytes');
});

t.test('consecutive records: topics and hosts read again from the bytes each time', async (t) => {
  const buf = Buffer.concat([record({ topic: 'A' }), record({ topic: 'B', storePort: 10912 }), record({ topic: 'A', commitLogOffset: 1 << 20 })]);
  const ms = decodeMessages(buf);
  t.same(ms.map((m) => m.topic), ['A', 'B', 'A']);
  t.same(ms.map((m) => m.storeHost), ['127.0.0.1:10911', '127.0.0.1:10912', '127.0.0.1:10911']);
  t.same(ms.map((m) => m.offsetMsgId), [
    createOffsetMsgId('127.0.0.1', 10911, 4096), createOffsetMsgId('127.0.0.1', 10912, 4096), createOffsetMsgId('127.0.0.1', 10911, 1 << 20),
  ]);
  t.same(ms.map((m) => m.msgId), ['ABC', 'ABC', 'ABC']);
  const odd = decodeStoredRecord(record({ storePort: 70000 }));
  t.equal(odd.storeHost, '127.0.0.1:70000', 'a port out of range is written as it is');
});

t.test('exact: a record with bytes past its properties is refused only when asked', async (t) => {
  const padded = record({ pad: 3 });
  t.equal(decodeStoredRecord(padded).topic, 'TopicA');
  t.throws(() => decodeStoredRecord(padded, 0, { exact: true }), { message: /stored record at 0 ends at \d+, not at its size \d+/ });
  const cut = record();
  cut.writeInt32BE(cut.length - 4, 0);
  t.throws(() => decodeStoredRecord(cut.subarray(0, cut.length - 4)), { message: 'stored record at 0 is truncated' });
  const bad = record();
  bad.writeInt32BE(0x12345678, 4);
  t.throws(() => decodeStoredRecord(bad), { message: 'bad message magic code 0x12345678 at 0' });
});

t.test('decodeStoredFields fills one reused object with what decodeStoredRecord returns', async (t) => {
  const recs = [record({ commitLogOffset: 1 }), record({ storePort: 10912, props: 'a\u0001b', commitLogOffset: 0x1234567890 }), record({ magic: MESSAGE_MAGIC_CODE_V2 })];
  const into = newStoredRecord();
  for (const rec of recs) {
    const want = decodeStoredRecord(rec, 0, { exact: true });
    const got = decodeStoredFields(rec, 0, { exact: true }, into);
    t.equal(got, into, 'the object passed in');
    t.same({ ...got }, want);
  }
  t.throws(() => decodeStoredFields(record({ pad: 3 }), 0, { exact: true }, into), /not at its size/, 'same checks');
  t.throws(() => decodeStoredFields(Buffer.alloc(6), 0, {}, into), /truncated/);
  // born and store hosts alternate, and a third host comes between: each keeps its own text
  const a = decodeStoredRecord(record({ storePort: 1 }));
  const b = decodeStoredRecord(record({ storePort: 2 }));
  t.same([a.bornHost, a.storeHost, b.bornHost, b.storeHost], ['10.0.0.1:5555', '127.0.0.1:1', '10.0.0.1:5555', '127.0.0.1:2']);
  t.equal(b.offsetMsgId, createOffsetMsgId('127.0.0.1', 2, 4096));
});

t.test('parsePropertiesToRecord: cached property names give the same pairs', async (t) => {
  const long = 'k'.repeat(60);
  const texts = [
    'UNIQ_KEY\u0001A\u0002TAGS\u0001t', 'UNIQ_KEY\u0001B\u0002TAGT\u0001u', '\u0001empty name\u0002x\u0001', `${long}\u0001v`,
    'n\u00e4me\u0001w\u00e9rt\u0002__proto__\u0001p', 'no separator\u0002a\u0001b\u0001c',
  ];
  for (let round = 0; round < 2; round++) {
    t.same(parsePropertiesToRecord(texts[0]), { UNIQ_KEY: 'A', TAGS: 't' });
    t.same(parsePropertiesToRecord(texts[1]), { UNIQ_KEY: 'B', TAGT: 'u' }, 'a name of the same length is not taken for another');
    t.same(parsePropertiesToRecord(texts[2]), { '': 'empty name', x: '' });
    t.same(parsePropertiesToRecord(texts[3]), { [long]: 'v' });
    const p = parsePropertiesToRecord(texts[4]);
    t.equal(p['n\u00e4me'], 'w\u00e9rt');
    t.equal(Object.getPrototypeOf(p), Object.prototype, '__proto__ is an own property, not the prototype');
    t.equal(Object.getOwnPropertyDescriptor(p, '__proto__')?.value, 'p');
    t.same(parsePropertiesToRecord(texts[5]), { a: 'b\u0001c' });
  }
  // more names of one length than the cache keeps
  for (let i = 0; i < 20; i++) t.same(parsePropertiesToRecord(`key${String(i).padStart(2, '0')}\u0001${i}`), { [`key${String(i).padStart(2, '0')}`]: String(i) });
});
