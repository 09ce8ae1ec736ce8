// End to end with the npm client ali-ons: a name server and a broker in this process, 1,000
// messages with tags and keys produced, then consumed by a tag subscription and by `*`: every
// message exactly once, body, tags, keys and msgId intact.
import t from 'tap';
import { closeClients, createTopic, newConsumer, newProducer, ons, sleep, startCluster, waitFor } from './helpers/broker-cluster.js';

const TOPIC = 'E2eTopic';
const N = 1000;

t.test('1,000 messages through ali-ons: tag and * subscriptions each see every message once', async (t) => {
  const t00 = Date.now();
  const c = await startCluster(t);
  t.comment(`cluster in ${Date.now() - t00} ms`);
  await createTopic(c, TOPIC);
  const producer = newProducer(c, 'e2e_producer');
  const tr = Date.now();
  await producer.ready();
  t.comment(`producer ready in ${Date.now() - tr} ms`);
  const notOk: string[] = [];
  const t0 = Date.now();
  const sent = new Map<string, { tag: string; key: string; body: string; msgId: string }>();
  for (let i = 0; i < N; i++) {
    const tag = i % 2 === 0 ? 'TagA' : 'TagB';
    // Every 100th body is over ali-ons' 4 KiB compression threshold (zlib, sysFlag bit 0).
    const body = `message ${i} ${'x'.repeat(i % 100 === 0 ? 6000 : i % 50)}`;
    const msg = new ons.Message(TOPIC, tag, body);
    msg.keys = [`key-${i}`, `k2-${i}`];
    const r = await producer.send(msg);
    if (r.sendStatus !== 'SEND_OK') notOk.push(JSON.stringify(r));
    sent.set(body, { tag, key: `key-${i} k2-${i}`, body, msgId: r.msgId });
  }
  t.same(notOk, [], 'every send answered SEND_OK');
  t.equal(sent.size, N, 'all sent');
  t.comment(`produced ${N} in ${Date.now() - t0} ms`);
  let compressed = 0;
  for (let q = 0; q < 4; q++) {
    for (const b of c.broker.store.getMessage('check', TOPIC, q, 0, 32, 1 << 22, null).buffers) if (b.readInt32BE(36) & 1) compressed++;
  }
  t.ok(compressed > 0, 'large bodies stored zlib-compressed as sent (sysFlag bit 0)');
  const t1 = Date.now();
  t.match([...sent.values()][0]!.msgId, /^[0-9A-F]{32}$/, 'msgId is an offset message id');

  const seenAll = new Map<string, number>();
  const seenA = new Map<string, number>();
  const bad: string[] = [];
  const all = newConsumer(c, 'e2e_all', { instanceName: 'all' });
  all.subscribe(TOPIC, '*', async (msg: any) => {
    const body = msg.body.toString();
    const s = sent.get(body);
    if (!s || s.tag !== msg.tags || s.key !== (Array.isArray(msg.keys) ? msg.keys.join(' ') : msg.keys) || s.msgId !== msg.msgId) bad.push(body);
    seenAll.set(body, (seenAll.get(body) ?? 0) + 1);
  });
  const tagA = newConsumer(c, 'e2e_tagA', { instanceName: 'tagA' });
  tagA.subscribe(TOPIC, 'TagA', async (msg: any) => {
    const body = msg.body.toString();
    if (msg.tags !== 'TagA') bad.push('tag filter let through ' + msg.tags);
    seenA.set(body, (seenA.get(body) ?? 0) + 1);
  });
  await Promise.all([all.ready(), tagA.ready()]);
  await waitFor(() => seenAll.size >= N && seenA.size >= N / 2, 40_000, 'all messages consumed');
  t.comment(`consumed in ${Date.now() - t1} ms`);
  t.equal(seenAll.size, N, '* consumer saw every message');
  t.equal(seenA.size, N / 2, 'TagA consumer saw every TagA message');
  t.same([...seenAll.values()].filter((n) => n !== 1), [], 'no duplicates for *');
  t.same([...seenA.values()].filter((n) => n !== 1), [], 'no duplicates for TagA');
  t.same(bad, [], 'bodies, tags, keys and msgIds intact');
  const t2 = Date.now();
  await closeClients(c, [all, tagA, producer]);
  t.comment(`closed in ${Date.now() - t2} ms`);
});

t.test('SQL92 subscription: the broker evaluates the selector over message properties', async (t) => {
  const c = await startCluster(t);
  await createTopic(c, 'SqlTopic');
  const producer = newProducer(c, 'sql_producer');
  await producer.ready();
  for (let i = 0; i < 20; i++) {
    const msg = new ons.Message('SqlTopic', i % 2 ? 'Odd' : 'Even', `m${i}`);
    msg.properties.n = String(i);
    msg.properties.region = i < 10 ? 'eu' : 'us';
    await producer.send(msg);
  }
  const got: string[] = [];
  const consumer = newConsumer(c, 'sql_group', { instanceName: 'sql' });
  consumer.subscribe('SqlTopic', { expressionType: 'SQL92', subString: "n >= 5 AND region = 'eu' AND TAGS = 'Odd'" }, async (msg: any) => {
    got.push(msg.body.toString());
  });
  await consumer.ready();
  await waitFor(() => got.length >= 3, 15_000, 'matching messages');
  await sleep(500); // a window in which no other message may arrive (the selector under test)
  t.same(got.sort(), ['m5', 'm7', 'm9'], 'only messages the selector accepts');
  await closeClients(c, [consumer, producer]);
});
