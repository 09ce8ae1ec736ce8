// @rmq/client against the built mq-server: sync/oneway/batch/compressed sends, then a clustering
// push consumer gets every message once with body, tags, keys, properties and ids intact.
import t from 'tap';
import { Producer, PushConsumer, MQClientError, type MessageExt } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startStandalone, waitFor } from './helpers/mq-process.js';

t.teardown(closeAdmin);

t.test('send and consume round trip', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientRoundTrip';
  await createTopic(namesrvAddr, [broker], topic);

  const producer = new Producer({ groupName: 'rt_producer', namesrvAddr, instanceName: 'rt-p' });
  await producer.start();
  t.teardown(() => producer.shutdown());

  const expected = new Map<string, { tags?: string; keys?: string; props?: Record<string, string> }>();
  const ids = new Map<string, string>();
  for (let i = 0; i < 50; i++) {
    const body = `sync ${i}`;
    const r = await producer.send({ topic, body, tags: i % 2 ? 'TagA' : 'TagB', keys: [`k${i}`, 'common'], properties: { seq: String(i) } });
    t.equal(r.status, 'SEND_OK');
    t.match(r.msgId, /^[0-9A-F]{32}$/);
    t.match(r.offsetMsgId, /^[0-9A-F]{32}$/);
    t.equal(r.queue.topic, topic);
    ids.set(body, r.msgId);
    expected.set(body, { tags: i % 2 ? 'TagA' : 'TagB', keys: `k${i} common`, props: { seq: String(i) } });
  }
  const big = 'x'.repeat(10_000);
  t.equal((await producer.send({ topic, body: big, tags: 'TagBig' })).status, 'SEND_OK');
  expected.set(big, { tags: 'TagBig' });
  for (let i = 0; i < 5; i++) {
    await producer.sendOneway({ topic, body: `oneway ${i}` });
    expected.set(`oneway ${i}`, {});
  }
  const batch = await producer.sendBatch([0, 1, 2].map((i) => ({ topic, body: `batch ${i}`, tags: 'TagBatch', keys: `bk${i}` })));
  t.equal(batch.status, 'SEND_OK');
  t.equal(batch.msgId.split(',').length, 3);
  for (let i = 0; i < 3; i++) expected.set(`batch ${i}`, { tags: 'TagBatch', keys: `bk${i}` });
  const viaCallback = await new Promise<string>((resolve, reject) => producer.sendAsync({ topic, body: 'callback' }, (e, r) => (e ? reject(e) : resolve(r!.status))));
  t.equal(viaCallback, 'SEND_OK');
  expected.set('callback', {});

  // A topic nobody created: sent on the TBW102 template route, the broker auto-creates it.
  t.equal((await producer.send({ topic: 'ClientAutoCreated', body: 'auto' })).status, 'SEND_OK', 'auto-created topic');
  await t.rejects(producer.send({ topic: 'bad topic!', body: 'x' }), MQClientError);
  const ac = new AbortController();
  ac.abort();
  await t.rejects(producer.send({ topic, body: 'never' }, { signal: ac.signal }), { name: 'MQAbortError' });

  const got = new Map<string, MessageExt>();
  let dup = 0;
  const consumer = new PushConsumer({ groupName: 'rt_consumer', namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', instanceName: 'rt-c' });
  consumer.subscribe(topic, '*');
  consumer.onMessage(async (m) => {
    const body = m.body.toString();
    if (got.has(body)) dup++;
    got.set(body, m);
  });
  await consumer.start();
  t.teardown(() => consumer.shutdown());
  await waitFor(() => got.size >= expected.size, 30000, `all ${expected.size} messages`);
  t.equal(got.size, expected.size);
  t.equal(dup, 0, 'no duplicates');
  for (const [body, e] of expected) {
    const m = got.get(body)!;
    t.equal(m.topic, topic);
    if (e.tags) t.equal(m.tags, e.tags, `tags of ${body.slice(0, 20)}`);
    if (e.keys) t.equal(m.keys, e.keys);
    if (e.props) t.same({ seq: m.properties['seq'] }, e.props);
    if (ids.has(body)) t.equal(m.msgId, ids.get(body), 'msgId is the UNIQ_KEY the send returned');
    t.equal(m.brokerName, 'broker-a');
  }
  t.equal(got.get(big)!.body.length, 10_000, 'compressed body arrives inflated');
});

t.test('tag subscription, async iteration, and a failed message coming back through %RETRY%', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientIterate';
  await createTopic(namesrvAddr, [broker], topic);
  const producer = new Producer({ groupName: 'it_producer', namesrvAddr, instanceName: 'it-p' });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const consumer = new PushConsumer({ groupName: 'it_consumer', namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', instanceName: 'it-c' });
  consumer.subscribe(topic, 'TagA || TagC');
  const seen: string[] = [];
  const done = (async () => {
    for await (const m of consumer) {
      seen.push(`${m.body.toString()}#${m.reconsumeTimes}`);
      if (seen.length >= 2) break;
    }
  })();
  await consumer.start();
  for (const [tags, body] of [['TagA', 'a0'], ['TagB', 'b0'], ['TagC', 'c0']]) await producer.send({ topic, tags, body });
  await done; // the iteration stops after two: what it saw is final
  t.ok(seen.includes('a0#0') && seen.includes('c0#0'));
  t.notOk(seen.some((s) => s.startsWith('b0')), 'TagB filtered out');
  await consumer.shutdown();

  // onMessage with a failure: the message comes back (retry topic, delay level 3 = 10 s) with reconsumeTimes 1.
  const c2 = new PushConsumer({ groupName: 'retry_consumer', namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', instanceName: 'rt-retry' });
  c2.subscribe(topic, 'TagB');
  const deliveries: number[] = [];
  c2.onMessage(async (m) => {
    deliveries.push(m.reconsumeTimes);
    t.equal(m.topic, topic, 'retry delivery shows the original topic');
    return deliveries.length === 1 ? 'RECONSUME_LATER' : undefined;
  });
  await c2.start();
  t.teardown(() => c2.shutdown());
  await waitFor(() => deliveries.length >= 2, 40000, 'redelivery');
  t.same(deliveries.slice(0, 2), [0, 1]);
});
