// Real bytes: the request frames a 4.9.8 Java client sent to Apache's broker (shared fixtures),
// replayed byte for byte to our broker. Each answer must carry the code Apache gave and the same
// ext field names; stored messages keep body, sysFlag and properties as Apache stores them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { decodeRecord } from '../packages/broker/src/common/record.js';
import { parseProperties } from '../packages/broker/src/common/properties.js';
import { createTopic, startCluster, waitFor } from './helpers/broker-cluster.js';
import { FIXTURES_DIR as FIXTURES } from './helpers/fixtures.js';


interface Frame { dir: string; peer: string; code: number; flag: number; opaque: number; serializeType: number; requestCode?: number; header: any; hex: string }

function frames(file: string): Frame[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')).frames;
}

interface Reply { code: number; opaque: number; ext: Record<string, string> | null; body: Buffer; serializeType: number }

/** A raw connection: writes captured frames, splits replies. */
async function rawConnection(t: { teardown(fn: () => void): void }, port: number) {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  t.teardown(() => sock.destroy());
  let buf = Buffer.alloc(0);
  const replies: Reply[] = [];
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const len = buf.readInt32BE(0);
      const frame = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      const type = frame[0]!;
      const hl = frame.readUInt32BE(0) & 0xffffff;
      const h = frame.subarray(4, 4 + hl);
      const body = frame.subarray(4 + hl);
      if (type === 0) {
        const j = JSON.parse(h.toString());
        replies.push({ code: j.code, opaque: j.opaque, ext: j.extFields ?? null, body, serializeType: 0 });
      } else {
        replies.push({ code: h.readInt16BE(0), opaque: h.readInt32BE(5), ext: null, body, serializeType: 1 });
      }
    }
  });
  return {
    replies,
    async send(f: Frame): Promise<Reply | null> {
      sock.write(Buffer.from(f.hex, 'hex'));
      if (f.flag & 2) return null;
      await waitFor(() => replies.some((r) => r.opaque === f.opaque), 5000, `reply to ${f.code}`);
      return replies.find((r) => r.opaque === f.opaque)!;
    },
  };
}

const SEND_FILES = ['send-sync.json', 'send-async.json', 'send-tags-keys-properties.json', 'send-compressed.json', 'send-delay.json',
  'send-batch.json', 'send-oneway.json', 'send-auto-create-topic.json', 'rocketmq-serialize-send.json'];

t.test('captured producer frames get Apache\'s answers', async (t) => {
  const c = await startCluster(t);
  await createTopic(c, 'FixtureTopic');
  for (const file of SEND_FILES) {
    const fs2 = frames(file);
    const conn = await rawConnection(t, c.broker.port);
    for (const f of fs2.filter((x) => x.dir === 'c2s' && x.peer === 'broker')) {
      const apache = fs2.find((x) => x.dir === 's2c' && x.peer === 'broker' && x.requestCode === f.code && x.opaque === f.opaque);
      const ours = await conn.send(f);
      if (!apache) {
        t.equal(ours, null, `${file} ${f.code}: oneway, no reply`);
        continue;
      }
      t.equal(ours!.code, apache.code, `${file} ${f.code}: code ${apache.code}`);
      t.equal(ours!.serializeType, apache.serializeType, `${file} ${f.code}: answered in the request's serialization`);
      if ((f.code === 310 || f.code === 320) && apache.serializeType === 0) {
        t.same(Object.keys(ours!.ext!).sort(), Object.keys(apache.header.extFields).sort(), `${file}: same reply fields`);
        const n = apache.header.extFields.msgId.split(',').length;
        t.equal(ours!.ext!.msgId!.split(',').length, n, `${file}: ${n} msgId(s)`);
      }
    }
  }
  t.match(c.broker.topicConfigManager.selectTopicConfig('FixtureAutoTopic'), { readQueueNums: 4, writeQueueNums: 4, perm: 6 },
    'FixtureAutoTopic auto-created from TBW102 like Apache (4 queues, perm 6)');
  await waitFor(() => [0, 1, 2, 3].reduce((n, q) => n + c.broker.store.getMaxOffsetInQueue('FixtureTopic', q), 0) >= 10, 5000, 'dispatch');

  // The message with tags, keys and user properties: stored like Apache stores it.
  const sent = frames('send-tags-keys-properties.json').find((x) => x.code === 310)!;
  const ext = sent.header.extFields;
  let found = null;
  for (let q = 0; q < 4 && !found; q++) {
    const r = c.broker.store.getMessage('check', 'FixtureTopic', q, 0, 64, 1 << 22, null);
    for (const b of r.buffers) {
      const m = decodeRecord(b);
      if (parseProperties(m.properties).get('UNIQ_KEY') === parseProperties(ext.i).get('UNIQ_KEY')) found = m;
    }
  }
  t.ok(found, 'message found');
  const props = parseProperties(found!.properties);
  const want = parseProperties(ext.i);
  want.delete('WAIT');
  want.set('CLUSTER', 'DefaultCluster');
  t.same(Object.fromEntries([...props].sort()), Object.fromEntries([...want].sort()), 'properties: the sent ones less WAIT, plus CLUSTER');
  const sentBody = Buffer.from(sent.hex, 'hex');
  t.ok(found!.body.equals(sentBody.subarray(8 + (sentBody.readUInt32BE(4) & 0xffffff))), 'body intact (UTF-8 JSON)');
  t.equal(found!.bornTimestamp, Number(ext.g), 'bornTimestamp from the header');

  const compressed = frames('send-compressed.json').find((x) => x.code === 310)!;
  let cm = null;
  for (let q = 0; q < 4 && !cm; q++) {
    for (const b of c.broker.store.getMessage('check', 'FixtureTopic', q, 0, 64, 1 << 22, null).buffers) {
      const m = decodeRecord(b);
      if (m.sysFlag === Number(compressed.header.extFields.f)) cm = m;
    }
  }
  t.ok(cm, 'compressed message stored with its sysFlag (769) unchanged');
});

t.test('captured consumer frames: heartbeat, consumer list, offsets, pull', async (t) => {
  const c = await startCluster(t);
  await createTopic(c, 'FixtureTopic');
  const fs2 = frames('push-consumer.json');
  const conn = await rawConnection(t, c.broker.port);
  const firstConn = fs2.find((x) => x.peer === 'broker')!;
  const mine = fs2.filter((x) => x.dir === 'c2s' && x.peer === 'broker' && (x as any).conn === (firstConn as any).conn);
  const hb = mine.find((x) => x.code === 34)!;
  t.equal((await conn.send(hb))!.code, 0, 'heartbeat');
  t.match(c.broker.topicConfigManager.selectTopicConfig('%RETRY%FixtureConsumerGroup'), { readQueueNums: 1, perm: 6 });
  const sub = c.broker.consumerManager.findSubscriptionData('FixtureConsumerGroup', 'FixtureTopic');
  t.same(sub?.codeSet, [2598919, -726516768, -1797401818, 2598920], 'subscription registered from the heartbeat');
  const list = await conn.send(mine.find((x) => x.code === 38)!);
  t.same(JSON.parse(list!.body.toString()), { consumerIdList: ['192.0.2.2@fx-c1'] });
  const q = await conn.send(mine.find((x) => x.code === 14)!);
  t.equal(q!.code, 0);
  t.same(q!.ext, { offset: '0' }, 'new group on a queue starting at 0: offset 0, as Apache answered');
  // A pull without the subscription flag (sysFlag 2) relies on the heartbeat's subscription.
  const pull = mine.find((x) => x.code === 11 && x.header.extFields.queueOffset === '0')!;
  const t0 = Date.now();
  const pending = conn.send(pull);
  const producerConn = await rawConnection(t, c.broker.port);
  const send = frames('send-sync.json').find((x) => x.code === 310)!;
  const pj = JSON.parse(Buffer.from(send.hex, 'hex').subarray(8, 8 + (Buffer.from(send.hex, 'hex').readUInt32BE(4) & 0xffffff)).toString());
  // Send into the pulled queue so the held pull wakes (re-encode only the queue id field).
  const hdr = { ...pj, extFields: { ...pj.extFields, e: pull.header.extFields.queueId }, opaque: 9001 };
  const hb2 = Buffer.from(JSON.stringify(hdr));
  const body = Buffer.from('wake the pull');
  const frame = Buffer.alloc(8 + hb2.length + body.length);
  frame.writeInt32BE(4 + hb2.length + body.length, 0); frame.writeInt32BE(hb2.length, 4); hb2.copy(frame, 8); body.copy(frame, 8 + hb2.length);
  await waitFor(() => c.broker.pullRequestHoldService.size >= 1, 5000, 'the pull to be held');
  await producerConn.send({ ...send, opaque: 9001, hex: frame.toString('hex') });
  const r = await pending;
  t.equal(r!.code, 0, 'held pull answered FOUND when the message arrived');
  // Woken, not timed out: a held pull that timed out answers PULL_NOT_FOUND (19) with no body.
  t.comment(`held pull answered after ${Date.now() - t0} ms`);
  t.same(Object.keys(r!.ext!).sort(), ['maxOffset', 'minOffset', 'nextBeginOffset', 'suggestWhichBrokerId']);
  t.equal(decodeRecord(r!.body).body.toString(), 'wake the pull');
  const unreg = mine.find((x) => x.code === 35)!;
  t.equal((await conn.send(unreg))!.code, 0, 'unregister');
});
