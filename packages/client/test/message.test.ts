// Message wire forms: properties, stored records from real pull replies, ids.
import t from 'tap';
import { inflateSync } from 'node:zlib';
import {
  UniqueIdGenerator, createOffsetMsgId, decodeMessages, decodeOffsetMsgId, encodeStoredMessage, javaHashCode,
  propertiesToString, stringToProperties,
} from '../src/message.js';
import { loadFrames } from './fixtures.js';

t.test('Java String.hashCode matches the codeSet a 4.9.8 consumer sent', async (t) => {
  t.equal(javaHashCode('TagA'), 2598919);
  t.equal(javaHashCode('TagB'), 2598920);
  t.equal(javaHashCode('TagBig'), -1797401818);
  t.equal(javaHashCode('TagBatch'), -726516768);
});

t.test('properties round trip without a trailing separator', async (t) => {
  const text = propertiesToString({ UNIQ_KEY: 'AB', WAIT: 'true', TAGS: 'TagA' });
  t.equal(text, 'UNIQ_KEY\u0001AB\u0002WAIT\u0001true\u0002TAGS\u0001TagA');
  t.same(stringToProperties(text + '\u0002'), { UNIQ_KEY: 'AB', WAIT: 'true', TAGS: 'TagA' });
  t.same(stringToProperties(''), {});
});

t.test('decodes the FOUND pull replies of push-consumer.json', async (t) => {
  const frames = loadFrames('push-consumer.json').filter((f) => f.dir === 's2c' && f.requestCode === 11 && f.code === 0);
  t.ok(frames.length > 0);
  let n = 0;
  for (const f of frames) {
    const msgs = decodeMessages(f.body, 'broker-a');
    t.ok(msgs.length > 0);
    for (const m of msgs) {
      n++;
      t.equal(m.topic, 'FixtureTopic');
      t.equal(m.brokerName, 'broker-a');
      t.equal(m.storeHost, '127.0.0.1:20911');
      t.equal(m.offsetMsgId, createOffsetMsgId(Buffer.from([127, 0, 0, 1]), 20911, m.commitLogOffset));
      t.equal(m.msgId, m.properties['UNIQ_KEY'] ?? m.offsetMsgId);
      t.equal(m.tags, m.properties['TAGS']);
      if (m.tags === 'TagBig') {
        t.equal(m.sysFlag & 1, 1, 'big body stored compressed');
        t.ok(m.body.length > 4096, 'and handed out inflated');
      }
    }
  }
  t.ok(n >= 4);
});

t.test('stored record encode/decode round trip', async (t) => {
  const frames = loadFrames('push-consumer.json').filter((f) => f.dir === 's2c' && f.requestCode === 11 && f.code === 0);
  const [m] = decodeMessages(frames[0]!.body, 'broker-a');
  const again = decodeMessages(encodeStoredMessage(m!), 'broker-a')[0]!;
  t.same({ ...again, storeSize: 0, sysFlag: 0 }, { ...m!, storeSize: 0, sysFlag: 0 });
});

t.test('offset message id', async (t) => {
  const id = createOffsetMsgId(Buffer.from([127, 0, 0, 1]), 20911, 0x5e8);
  t.equal(id, '7F000001000051AF00000000000005E8');
  t.same(decodeOffsetMsgId(id), { address: '127.0.0.1:20911', commitLogOffset: 0x5e8 });
});

t.test('unique ids have the MessageClientIDSetter layout', async (t) => {
  const g = new UniqueIdGenerator('192.0.2.2', 0x43e9, 0x5ffd2b27);
  const a = g.next();
  const b = g.next();
  t.match(a, /^[0-9A-F]{32}$/);
  t.equal(a.slice(0, 20), 'C0000202' + '43E9' + '5FFD2B27');
  t.equal(a.slice(28), '0000');
  t.equal(b.slice(28), '0001');
  const now = new Date(2026, 10, 27, 1, 2, 3, 4).getTime();
  const c = new UniqueIdGenerator('10.0.0.1', 1, 1).next(now);
  const monthStart = new Date(2026, 10, 1).getTime();
  t.equal(parseInt(c.slice(20, 28), 16), now - monthStart, 'milliseconds since the start of the month');
});

t.test('compressed fixture body inflates to the text the Java client sent', async (t) => {
  const f = loadFrames('send-compressed.json').find((x) => x.dir === 'c2s' && x.code === 310)!;
  const text = inflateSync(f.body).toString('utf8');
  t.ok(text.length > 4096);
});

t.test('offset ids and int64 fields match the BigInt reference encoding', async (t) => {
  const ref = (ip: Buffer, port: number, off: number) => {
    const b = Buffer.alloc(ip.length + 12);
    ip.copy(b, 0); b.writeInt32BE(port, ip.length); b.writeBigInt64BE(BigInt(off), ip.length + 4);
    return b.toString('hex').toUpperCase();
  };
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  for (const off of [0, 1, 0x5e8, 0xffffffff, 0x100000000, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER, -1, -0x100000001]) {
    for (const [ip, port] of [[Buffer.from([127, 0, 0, 1]), 20911], [Buffer.from([255, 1, 2, 3]), 65535], [v6, 10911]] as const) {
      t.equal(createOffsetMsgId(ip, port, off), ref(ip, port, off), `${off} ${ip.toString('hex')}`);
    }
  }
  const frames = loadFrames('push-consumer.json').filter((f) => f.dir === 's2c' && f.requestCode === 11 && f.code === 0);
  const [m] = decodeMessages(frames[0]!.body, 'broker-a');
  for (const off of [2 ** 33 + 7, 2 ** 52 + 1]) {
    const again = decodeMessages(encodeStoredMessage({ ...m!, queueOffset: off, commitLogOffset: off + 1, bornTimestamp: off + 2, storeTimestamp: off + 3, preparedTransactionOffset: off + 4 }), 'b')[0]!;
    t.same([again.queueOffset, again.commitLogOffset, again.bornTimestamp, again.storeTimestamp, again.preparedTransactionOffset], [off, off + 1, off + 2, off + 3, off + 4]);
    t.equal(again.offsetMsgId, ref(Buffer.from([127, 0, 0, 1]), 20911, off + 1));
  }
});

t.test('decoded records: IPv6 hosts, bodies as views, properties like split/indexOf', async (t) => {
  const frames = loadFrames('push-consumer.json').filter((f) => f.dir === 's2c' && f.requestCode === 11 && f.code === 0);
  const [m] = decodeMessages(frames[0]!.body, 'broker-a');
  const rec = encodeStoredMessage(m!);
  // Rewrite as a V1 record with both hosts IPv6 (sysFlag 0x30): 12 more bytes per host.
  const v6ip = Buffer.from('20010db8000000000000000000000001', 'hex');
  const bornAt = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8;
  const storeAt = bornAt + 8 + 8;
  const host6 = (port: number) => { const b = Buffer.alloc(20); v6ip.copy(b); b.writeInt32BE(port, 16); return b; };
  const out = Buffer.concat([rec.subarray(0, bornAt), host6(5555), rec.subarray(bornAt + 8, storeAt), host6(20911), rec.subarray(storeAt + 8)]);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE((m!.sysFlag & ~1) | 0x30, 4 + 4 + 4 + 4 + 4 + 8 + 8);
  const [d] = decodeMessages(out, 'b');
  t.equal(d!.bornHost, '2001:db8:0:0:0:0:0:1:5555');
  t.equal(d!.storeHost, '2001:db8:0:0:0:0:0:1:20911');
  t.equal(d!.offsetMsgId, createOffsetMsgId(v6ip, 20911, m!.commitLogOffset));
  t.same(d!.body, m!.body);
  const props = 'a\u0001b\u0002\u0002c\u0001\u0002noval\u0002x\u0001y\u0001z\u0002';
  const refProps: Record<string, string> = {};
  for (const item of props.split('\u0002')) { const i = item.indexOf('\u0001'); if (item && i >= 0) refProps[item.slice(0, i)] = item.slice(i + 1); }
  t.same(stringToProperties(props), refProps);
});
