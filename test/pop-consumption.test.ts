// POP consumption (5.x codes 200050..200055) with SimpleConsumer against a built `mq-server
// standalone`: several consumers of one group share ONE queue without rebalance; a consumer that
// dies leaves its messages to reappear after the invisible time with reconsumeTimes + 1 (from
// %RETRY%group_topic); ack is idempotent; changeInvisibleDuration extends; SIGKILL of the broker keeps
// un-acked messages; long polling answers a waiting receive when a message arrives.
import t from 'tap';
import { Producer, SimpleConsumer, type ReceivedMessage } from '../packages/client/src/index.js';
import { Admin, startServer, tmpDir, waitFor, type MqServer } from './helpers/mq-process.js';

const TOPIC = 'PopTopic';

function consumer(s: MqServer, group: string, awaitDurationMs = 1000): SimpleConsumer {
  return new SimpleConsumer({ groupName: group, namesrvAddr: s.nsAddr, awaitDurationMs, initMode: 0 }).subscribe(TOPIC, '*');
}

t.test('POP: shared queue, invisible time, revive, idempotent ack, SIGKILL', async (t) => {
  const storeDir = tmpDir('pop');
  const admin = new Admin();
  t.teardown(() => admin.close());
  let server = await startServer({ storeDir, t, dir: storeDir });
  await admin.createTopic(server, TOPIC, 1); // one queue: a rebalance would give it to one consumer only

  const producer = new Producer({ groupName: 'pop_p', namesrvAddr: server.nsAddr, instanceName: `pop-p-${process.pid}` });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const N = 60;
  for (let i = 0; i < N; i++) await producer.send({ topic: TOPIC, body: `m${i}`, tags: 'T' });

  // 1. three consumers of one group share the single queue
  const cs = [consumer(server, 'pop_g'), consumer(server, 'pop_g'), consumer(server, 'pop_g')];
  for (const c of cs) await c.start();
  t.teardown(() => Promise.all(cs.map((c) => c.shutdown())));
  const byConsumer = cs.map(() => 0);
  const got = new Map<string, number>();
  await waitFor(async () => {
    await Promise.all(cs.map(async (c, i) => {
      const ms = await c.receive(4, 30_000);
      byConsumer[i]! += ms.length;
      for (const m of ms) {
        got.set(m.body.toString(), (got.get(m.body.toString()) ?? 0) + 1);
        await c.ack(m);
      }
    }));
    return got.size >= N;
  }, 30_000, 'all messages popped');
  t.equal(got.size, N, 'every message received');
  t.equal([...got.values()].filter((n) => n > 1).length, 0, 'none received twice while invisible');
  t.ok(byConsumer.filter((n) => n > 0).length >= 2, `several consumers got messages from one queue: ${byConsumer.join(', ')}`);

  // 2. a consumer dies holding messages: they come back after the invisible time, reconsumeTimes 1
  for (let i = 0; i < 5; i++) await producer.send({ topic: TOPIC, body: `lost${i}` });
  const dying = consumer(server, 'pop_g');
  await dying.start();
  let held: ReceivedMessage[] = [];
  await waitFor(async () => { held.push(...await dying.receive(8, 1500)); return held.length >= 5; }, 15_000, 'dying consumer receives');
  const poppedAt = Date.now();
  await dying.shutdown(); // no ack
  const back = new Map<string, ReceivedMessage>();
  await waitFor(async () => {
    for (const m of await cs[0]!.receive(8, 30_000)) { back.set(m.body.toString(), m); }
    return held.every((h) => back.has(h.body.toString()));
  }, 20_000, 'un-acked messages reappear');
  const first = back.get('lost0')!;
  t.ok(Date.now() - poppedAt >= 1400, 'not before the invisible time');
  t.equal(first.reconsumeTimes, 1, 'reconsume count 1 on redelivery');
  t.equal(first.realTopic, `%RETRY%pop_g_${TOPIC}`, 'redelivered from %RETRY%group_topic');
  t.equal(first.topic, TOPIC, 'reported under the subscribed topic');

  // 3. ack is idempotent, also for a retry message; changeInvisibleDuration works
  await cs[0]!.ack(first);
  await cs[0]!.ack(first);
  t.pass('second ack of the same message answers SUCCESS');
  const second = back.get('lost1')!;
  await cs[0]!.changeInvisibleDuration(second, 60_000);
  t.ok(second.invisibleUntil > Date.now() + 50_000, 'invisible time extended');
  for (const [b, m] of back) if (b !== 'lost0') await cs[0]!.ack(m);

  // 4. SIGKILL with un-acked messages: they come back after the restart (and the invisible time)
  for (let i = 0; i < 5; i++) await producer.send({ topic: TOPIC, body: `crash${i}` });
  const c4 = consumer(server, 'pop_g');
  await c4.start();
  const crashHeld: ReceivedMessage[] = [];
  await waitFor(async () => { crashHeld.push(...await c4.receive(8, 2000)); return crashHeld.length >= 5; }, 15_000, 'popped before the crash');
  await c4.shutdown();
  const nsPort = Number(server.nsAddr.split(':')[1]);
  const port = Number(server.brokerAddr.split(':')[1]);
  await server.kill('SIGKILL');
  server = await startServer({ storeDir, nsPort, port, t });
  await admin.waitRoute(server, TOPIC);
  t.match(server.err() + server.out(), /pop: \d+ un-acked message\(s\) restored/, 'in-flight state restored from the pop log');
  const after = consumer(server, 'pop_g');
  await after.start();
  t.teardown(() => after.shutdown());
  const again = new Map<string, ReceivedMessage>();
  await waitFor(async () => {
    for (const m of await after.receive(8, 30_000)) { again.set(m.body.toString(), m); await after.ack(m); }
    return crashHeld.every((h) => again.has(h.body.toString()));
  }, 30_000, 'un-acked messages after SIGKILL');
  t.ok(crashHeld.every((h) => again.get(h.body.toString())!.reconsumeTimes === 1), 'redelivered with reconsume count after the restart');
  t.notOk([...again.keys()].some((b) => /^m\d+$/.test(b)), 'acked messages do not come back');

  // 5. long polling: a waiting receive is answered when a message arrives
  const lp = consumer(server, 'pop_g', 8000);
  await lp.start();
  t.teardown(() => lp.shutdown());
  const waiting = lp.receive(4, 30_000);
  await waitFor(async () => Number((await admin.call(server.brokerAddr, 200055, { consumerGroup: 'pop_g', topic: TOPIC, queueId: -1 })).extFields?.['pollingNum']) >= 1,
    10_000, 'the receive to be held by the broker (POLLING_INFO)');
  const sentAt = Date.now();
  await producer.send({ topic: TOPIC, body: 'wake' });
  const woke = await waiting;
  t.same(woke.map((m) => m.body.toString()), ['wake'], 'held POP answered with the new message');
  t.comment(`held POP answered ${Date.now() - sentAt} ms after the send`);
  await lp.ack(woke[0]!);

  // 6. the async iterator
  await producer.send({ topic: TOPIC, body: 'iter' });
  for await (const m of lp) { t.equal(m.body.toString(), 'iter', 'async iterator yields'); await lp.ack(m); break; }
  await server.stop();
});

t.test('POP wire: headers on every reply, PEEK, NOTIFICATION, POLLING_INFO, errors, DLQ after retryMaxTimes', async (t) => {
  const storeDir = tmpDir('pop-wire');
  const admin = new Admin();
  t.teardown(() => admin.close());
  const server = await startServer({ storeDir, t, dir: storeDir });
  await admin.createTopic(server, 'PopWire', 2);
  // group with retryMaxTimes 1: the second expiry goes to %DLQ%
  const sg = await admin.call(server.brokerAddr, 200, {}, Buffer.from(JSON.stringify({ groupName: 'wire_g', retryMaxTimes: 1 })));
  t.equal(sg.code, 0, 'group created with retryMaxTimes 1');
  const pop = (ext: Record<string, unknown>) => admin.call(server.brokerAddr, 200050, {
    consumerGroup: 'wire_g', topic: 'PopWire', queueId: -1, maxMsgNums: 8, invisibleTime: 500, pollTime: 0, bornTime: Date.now(), initMode: 0, ...ext,
  }, null, 10_000);

  const empty = await pop({});
  t.equal(empty.code, 210, 'nothing there: POLLING_TIMEOUT (210)');
  for (const k of ['popTime', 'invisibleTime', 'reviveQid', 'restNum']) t.ok(empty.extFields?.[k] !== undefined, `${k} present on a not-found reply (CFNotNull in 5.x)`);
  t.equal((await pop({ topic: 'NoSuchTopic' })).code, 17, 'unknown topic: TOPIC_NOT_EXIST');
  t.equal((await pop({ queueId: 9 })).code, 29, 'queue beyond readQueueNums: INVALID_PARAMETER');
  const ackBad = await admin.call(server.brokerAddr, 200051, { consumerGroup: 'wire_g', topic: 'PopWire', queueId: 0, extraInfo: 'x', offset: 0 });
  t.equal(ackBad.code, 13, 'malformed extraInfo: MESSAGE_ILLEGAL');

  const notif = admin.call(server.brokerAddr, 200054, { consumerGroup: 'wire_g', topic: 'PopWire', queueId: -1, pollTime: 5000, bornTime: Date.now() }, null, 10_000);
  await waitFor(async () => Number((await admin.call(server.brokerAddr, 200055, { consumerGroup: 'wire_g', topic: 'PopWire', queueId: -1 })).extFields?.['pollingNum']) === 1, 5000, 'POLLING_INFO counts the held NOTIFICATION');
  const producer = new Producer({ groupName: 'wire_p', namesrvAddr: server.nsAddr, instanceName: `wire-p-${process.pid}` });
  await producer.start();
  t.teardown(() => producer.shutdown());
  await producer.send({ topic: 'PopWire', body: 'w0', tags: 'A' });
  const n = await notif;
  t.equal(String(n.extFields?.['hasMsg']), 'true', 'NOTIFICATION answers hasMsg=true when a message arrives');

  const peek = await admin.call(server.brokerAddr, 200052, { consumerGroup: 'wire_g', topic: 'PopWire', queueId: -1, maxMsgNums: 8 });
  t.equal(peek.code, 0, 'PEEK finds it');
  const got = await pop({});
  t.equal(got.code, 0, 'POP finds it (PEEK did not hide it)');
  t.match(String(got.extFields?.['startOffsetInfo']), /^0 \d+ 0$/, 'startOffsetInfo "<retry> <queueId> <offset>"');
  t.match(String(got.extFields?.['msgOffsetInfo']), /^0 \d+ 0$/, 'msgOffsetInfo "<retry> <queueId> <offsets>"');
  t.equal((await pop({})).code, 210, 'invisible to the next POP');

  // expire twice without ack: first to %RETRY%wire_g_PopWire (reconsume 1), then to %DLQ%wire_g
  let retried: RemotingCommandLike | null = null;
  await waitFor(async () => { const r = await pop({}); if (r.code === 0) retried = r; return r.code === 0; }, 10_000, 'revived once');
  t.match(String(retried!.extFields?.['startOffsetInfo']), /^1 0 0$/, 'second delivery from the retry topic (retry mark 1)');
  await waitFor(async () => {
    const r = await admin.call(server.brokerAddr, 30, { topic: '%DLQ%wire_g', queueId: 0 }); // GET_MAX_OFFSET (DLQ is write-only)
    return r.code === 0 && Number(r.extFields?.['offset']) === 1;
  }, 10_000, 'moved to %DLQ%wire_g after retryMaxTimes');
  t.pass('message in %DLQ%wire_g after its second invisible time');
  await producer.shutdown();
  await server.stop();
});

type RemotingCommandLike = { code: number; extFields?: Record<string, string> | null };
