import t from 'tap';
import { deflateSync } from 'node:zlib';
import { decodeCommand } from '../src/codec.js';
import {
  createOffsetMsgId, crc32, messageBodyCrc, decodeBatchMessages, decodeMessages, decodeOffsetMsgId, encodeBatchMessages,
  javaStringHashCode, MessageConst, parseProperties, parsePropertiesToRecord, propertiesToString,
  MESSAGE_MAGIC_CODE_V1, BLANK_MAGIC_CODE,
} from '../src/message.js';
import { frameBytes, loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));

t.test('properties string <-> map', async (t) => {
  const text = 'orderId\u00011001\u0002KEYS\u0001order-1001 key1 key2\u0002TAGS\u0001TagB\u0002n\u000142';
  const m = parseProperties(text);
  t.equal(m.get('KEYS'), 'order-1001 key1 key2');
  t.equal(m.get(MessageConst.PROPERTY_TAGS), 'TagB');
  t.equal(propertiesToString(m), text, 'no trailing separator, order kept');
  t.same(parsePropertiesToRecord(text + '\u0002'), { orderId: '1001', KEYS: 'order-1001 key1 key2', TAGS: 'TagB', n: '42' });
  t.equal(propertiesToString({ a: 1, b: true }), 'a\u00011\u0002b\u0001true');
  t.equal(parseProperties('').size, 0);
  t.equal(parseProperties(null).size, 0);
  t.equal(parseProperties('noValue\u0002k\u0001').get('k'), '');
  // the 310 request's `i` field in the fixture
  const send = frames.find((f) => f.file === 'send-tags-keys-properties.json' && f.code === 310)!;
  const props = parseProperties((send.header.extFields as Record<string, string>).i);
  t.equal(props.get('region'), 'eu-west');
  t.equal(props.get('UNIQ_KEY')!.length, 56);
});

t.test('Java String.hashCode matches the codeSet a Java consumer sent', async (t) => {
  const hb = frames.find((f) => f.file === 'push-consumer.json' && f.code === 34 && f.dir === 'c2s')!;
  const sub = JSON.parse(hb.bodyText!).consumerDataSet[0].subscriptionDataSet[0];
  const codes = (sub.tagsSet as string[]).map(javaStringHashCode).sort();
  t.same(codes, [...(sub.codeSet as number[])].sort());
  t.equal(javaStringHashCode(''), 0);
  t.equal(javaStringHashCode('TagA'), 2598919);
  t.equal(javaStringHashCode('a long string that overflows int32 many times'), javaStringHashCodeRef('a long string that overflows int32 many times'));
});

function javaStringHashCodeRef(s: string): number {
  let h = 0n;
  for (const c of s) h = (h * 31n + BigInt(c.charCodeAt(0))) & 0xffffffffn;
  return Number(BigInt.asIntN(32, h));
}

t.test('CRC32 matches java.util.zip.CRC32', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  t.equal(crc32(Buffer.alloc(0)), 0);
  t.equal(messageBodyCrc(Buffer.from('hello')), 0x3610a686 & 0x7fffffff);
  t.equal(crc32(Buffer.from('xx123456789yy'), 2, 11), 0xcbf43926);
});

t.test('offset message ids', async (t) => {
  const id = createOffsetMsgId('127.0.0.1', 20911, 1512);
  t.equal(id, '7F000001000051AF00000000000005E8');
  t.same(decodeOffsetMsgId(id), { ip: '127.0.0.1', port: 20911, offset: 1512 });
  t.same(decodeOffsetMsgId(id.toLowerCase()), { ip: '127.0.0.1', port: 20911, offset: 1512 });
  t.equal(createOffsetMsgId('10.1.2.3', 10911, 2n ** 40n), '0A01020300002A9F0000010000000000');
  t.throws(() => decodeOffsetMsgId('XYZ'));
  t.throws(() => createOffsetMsgId('::1', 1, 0));
  const batchReply = frames.find((f) => f.file === 'send-batch.json' && f.requestCode === 320)!;
  const ids = (batchReply.header.extFields as Record<string, string>).msgId.split(',');
  t.same(ids.map((x) => decodeOffsetMsgId(x).offset), [1512, 1769, 2026]);
});

t.test('stored records from real pull replies and VIEW_MESSAGE_BY_ID decode', async (t) => {
  const bodies = frames.filter((f) => f.dir === 's2c' && f.code === 0 && (f.requestCode === 11 || f.requestCode === 33) && f.bodyLength > 0);
  t.ok(bodies.length >= 6);
  for (const f of bodies) {
    const cmd = decodeCommand(frameBytes(f));
    const msgs = decodeMessages(cmd.bodyBuffer()!);
    t.ok(msgs.length > 0, `${f.file} ${f.requestCode}: ${msgs.length} messages`);
    for (const m of msgs) {
      t.equal(m.storeHost, '127.0.0.1:20911');
      t.equal(m.offsetMsgId, createOffsetMsgId('127.0.0.1', 20911, m.commitLogOffset));
      if ((m.sysFlag & 1) === 0) t.equal(m.bodyCRC, messageBodyCrc(m.body), 'body CRC');
      else t.ok(m.body.length > 5000, `compressed body inflated to ${m.body.length} bytes`);
      t.ok(m.topic.length > 0);
      t.equal(m.msgId, m.properties.UNIQ_KEY ?? m.offsetMsgId);
    }
    if (f.requestCode === 33) t.equal(msgs[0]!.commitLogOffset, 663, 'the offset the tool asked for');
  }
  // transaction check: the half message travels as the body of a broker-initiated 39
  const check = frames.find((f) => f.code === 39)!;
  const half = decodeMessages(decodeCommand(frameBytes(check)).bodyBuffer()!);
  t.equal(half.length, 1);
  t.equal(half[0]!.properties.TRAN_MSG, 'true');
});

function storedRecord(body: Buffer, sysFlag: number, topic: string, props: string, commitLogOffset: number): Buffer {
  const topicB = Buffer.from(topic);
  const propB = Buffer.from(props);
  const size = 91 + body.length + topicB.length + propB.length;
  const b = Buffer.alloc(size);
  let p = 0;
  b.writeInt32BE(size, p); p += 4;
  b.writeInt32BE(MESSAGE_MAGIC_CODE_V1, p); p += 4;
  b.writeInt32BE(crc32(body) | 0, p); p += 4;
  b.writeInt32BE(2, p); p += 4; // queueId
  b.writeInt32BE(0, p); p += 4; // flag
  b.writeBigInt64BE(5n, p); p += 8; // queue offset
  b.writeBigInt64BE(BigInt(commitLogOffset), p); p += 8;
  b.writeInt32BE(sysFlag, p); p += 4;
  b.writeBigInt64BE(1700000000000n, p); p += 8;
  b.set([192, 0, 2, 2], p); b.writeInt32BE(5555, p + 4); p += 8;
  b.writeBigInt64BE(1700000000001n, p); p += 8;
  b.set([127, 0, 0, 1], p); b.writeInt32BE(10911, p + 4); p += 8;
  b.writeInt32BE(1, p); p += 4;
  b.writeBigInt64BE(0n, p); p += 8;
  b.writeInt32BE(body.length, p); p += 4;
  p += body.copy(b, p);
  b.writeUInt8(topicB.length, p); p += 1;
  p += topicB.copy(b, p);
  b.writeInt16BE(propB.length, p); p += 2;
  propB.copy(b, p);
  return b;
}

t.test('compressed bodies are inflated; blank records end the run', async (t) => {
  const text = 'x'.repeat(6000);
  const rec1 = storedRecord(deflateSync(Buffer.from(text)), 1, 'T', 'TAGS\u0001A', 4096);
  const rec2 = storedRecord(Buffer.from('plain'), 0, 'T', '', 4096 + rec1.length);
  const blank = Buffer.alloc(8);
  blank.writeInt32BE(8, 0);
  blank.writeInt32BE(BLANK_MAGIC_CODE, 4);
  const msgs = decodeMessages(Buffer.concat([rec1, rec2, blank, Buffer.alloc(50)]));
  t.equal(msgs.length, 2);
  t.equal(msgs[0]!.body.toString(), text);
  t.equal(msgs[0]!.tags, 'A');
  t.equal(msgs[0]!.bornHost, '192.0.2.2:5555');
  t.equal(msgs[0]!.queueOffset, 5);
  t.equal(msgs[1]!.body.toString(), 'plain');
  t.equal(msgs[1]!.commitLogOffset, 4096 + rec1.length);
  t.equal(decodeMessages(Buffer.concat([rec1, rec2]), { decompress: false })[0]!.body.length < 6000, true);
  t.equal(decodeMessages(rec1.subarray(0, 100)).length, 0, 'a record cut short is left for the next read');
  const bad = Buffer.from(rec2);
  bad.writeInt32BE(0x12345678, 4);
  t.throws(() => decodeMessages(bad), RangeError);
});

t.test('SEND_BATCH_MESSAGE bodies', async (t) => {
  const req = frames.find((f) => f.file === 'send-batch.json' && f.code === 320)!;
  const body = decodeCommand(frameBytes(req)).bodyBuffer()!;
  const msgs = decodeBatchMessages(body);
  t.equal(msgs.length, 3);
  for (const m of msgs) t.ok(parseProperties(m.propertiesText).has('UNIQ_KEY'));
  const again = encodeBatchMessages(msgs.map((m) => ({ flag: m.flag, body: m.body, properties: m.propertiesText })));
  t.ok(again.equals(body), 're-encoded batch matches the Java client bytes');
  const mine = encodeBatchMessages([{ body: Buffer.from('a'), properties: { TAGS: 'x' } }, { body: Buffer.alloc(0), flag: 3 }]);
  const back = decodeBatchMessages(mine);
  t.equal(back[0]!.propertiesText, 'TAGS\u0001x');
  t.equal(back[1]!.flag, 3);
  t.throws(() => decodeBatchMessages(mine.subarray(0, mine.length - 1)), RangeError);
});
