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
