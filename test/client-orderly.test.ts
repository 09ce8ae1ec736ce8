// Orderly consumption under a rebalance: messages of one sharding key go to one queue; while a
// second orderly consumer joins the group and takes queues over (broker locks, LOCK_BATCH_MQ),
// no message of a key is consumed before the ones sent earlier with that key.
import t from 'tap';
import { Producer, PushConsumer } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, sleep, startStandalone, waitFor } from './helpers/mq-process.js';
import { OffsetOrder } from './helpers/offsets.js';

t.teardown(closeAdmin);

const KEYS = 8;
const PER_KEY = 30;

t.test('per-key order survives a rebalance between orderly consumers', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientOrderly';
  await createTopic(namesrvAddr, [broker], topic, 4);
  const producer = new Producer({ groupName: 'ord_producer', namesrvAddr, instanceName: 'ord-p' });
  await producer.start();
  t.teardown(() => producer.shutdown());

  const delivered = new Map<string, Set<number>>(); // key -> seqs seen
  const violations: string[] = [];
  const inFlight = new Set<number>(); // queue ids being consumed right now (across instances)
  const byInstance = [0, 0];
  const offsetOrder = [new OffsetOrder(), new OffsetOrder()]; // per instance: each reads its queues in offset order
  let failOnce = true;
  const handler = (i: number) => async (m: import('../packages/client/src/index.js').MessageExt) => {
    const [key, seqText] = m.body.toString().split(':');
    const seq = Number(seqText);
    offsetOrder[i]!.see(m);
    if (inFlight.has(m.queueId)) violations.push(`queue ${m.queueId} consumed concurrently`);
    inFlight.add(m.queueId);
    try {
      await sleep(3); // a little work per message, so that concurrent consumption would show
      if (failOnce && seq === 5 && key === 'k0') { failOnce = false; return 'SUSPEND_CURRENT_QUEUE_A_MOMENT' as const; }
      const seen = delivered.get(key!) ?? new Set<number>();
      if (!seen.has(seq)) {
        for (let s = 0; s < seq; s++) if (!seen.has(s)) { violations.push(`${key}: ${seq} before ${s}`); break; }
      }
      seen.add(seq);
      delivered.set(key!, seen);
      byInstance[i]!++;
      return undefined;
    } finally {
      inFlight.delete(m.queueId);
    }
  };
  const mk = (i: number) => {
    const c = new PushConsumer({ groupName: 'ord_group', namesrvAddr, instanceName: `ord-c${i}`, orderly: true, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, '*').onMessage(handler(i));
    return c;
  };
  const a = mk(0);
  await a.start();
  t.teardown(() => a.shutdown());

  const queueOfKey = new Map<string, number>();
  const sendSeqs = async (from: number, to: number) => {
    for (let seq = from; seq < to; seq++) {
      for (let k = 0; k < KEYS; k++) {
        const r = await producer.send({ topic, body: `k${k}:${seq}`, keys: `k${k}` }, { shardingKey: `k${k}` });
        const q = queueOfKey.get(`k${k}`);
        if (q !== undefined && q !== r.queue.queueId) violations.push(`k${k} moved from queue ${q} to ${r.queue.queueId}`);
        queueOfKey.set(`k${k}`, r.queue.queueId);
      }
    }
  };
  const total = () => [...delivered.values()].reduce((n, s) => n + s.size, 0);
  const topicQueues = (c: PushConsumer) => [...c.rebalance.processQueueTable.values()].filter((e) => e.mq.topic === topic);
  // Phase 1: A alone. Phase 2: sent while B joins (the rebalance happens mid-stream). Phase 3: after
  // the queues moved, so B surely consumes some of them.
  await sendSeqs(0, 10);
  await waitFor(() => total() >= KEYS * 10, 20000, 'phase 1 consumed');
  const b = mk(1);
  const bStarted = b.start();
  t.teardown(() => b.shutdown());
  await sendSeqs(10, 20);
  await bStarted;
  await waitFor(() => topicQueues(b).length === 2 && topicQueues(a).length === 2, 20000, 'queues split 2/2');
  await sendSeqs(20, PER_KEY);
  await waitFor(() => total() >= KEYS * PER_KEY, 40000, 'every message consumed');
  t.same(violations, [], 'no key consumed out of order, no queue consumed concurrently');
  for (const [i, o] of offsetOrder.entries()) t.same(o.backwards, [], `instance ${i}: queue offsets never went backwards (${o.seen} deliveries)`);
  t.ok(byInstance[1]! > 0, `the joining consumer took queues over (${byInstance[0]} / ${byInstance[1]})`);
  const heldA = topicQueues(a);
  const heldB = topicQueues(b);
  t.equal(heldA.length + heldB.length, 4, 'the 4 queues are split between the two');
  t.ok([...heldA, ...heldB].every((e) => e.pq.locked), 'and each holder has the broker lock');
});
