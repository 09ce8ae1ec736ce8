// The lite pull consumer against mq-server: subscribe (rebalanced) and poll, assign + seek, and
// manual commits that a later consumer of the group resumes from.
import t from 'tap';
import { LitePullConsumer, Producer, type MessageExt } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startStandalone, waitFor } from './helpers/mq-process.js';
import { OffsetOrder } from './helpers/offsets.js';

t.teardown(closeAdmin);

t.test('lite pull: subscribe/poll, assign/seek, commit', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientLitePull';
  await createTopic(namesrvAddr, [broker], topic, 4);
  const producer = new Producer({ groupName: 'lp_producer', namesrvAddr, instanceName: 'lp-p' });
  await producer.start();
  for (let i = 0; i < 40; i++) await producer.send({ topic, body: `lp ${i}`, tags: i % 4 === 0 ? 'Four' : 'Other' });

  // Subscribe mode, manual commit.
  const c1 = new LitePullConsumer({ groupName: 'lp_group', namesrvAddr, instanceName: 'lp-c1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false });
  c1.subscribe(topic, '*');
  await c1.start();
  const got = new Map<string, MessageExt>();
  const order1 = new OffsetOrder();
  await waitFor(async () => { for (const m of await c1.poll(500)) { order1.see(m); got.set(m.body.toString(), m); } return got.size >= 40; }, 20000, 'all 40 polled');
  t.equal(got.size, 40);
  t.same(order1.backwards, [], 'subscribe mode: queue offsets never went backwards');
  t.equal(c1.assignment().length, 4, 'the single member of the group is assigned all 4 queues');
  await c1.commitSync();
  for (const mq of c1.assignment()) {
    const last = Math.max(...[...got.values()].filter((m) => m.queueId === mq.queueId).map((m) => m.queueOffset));
    t.equal(await c1.committed(mq), last + 1, `committed offset of queue ${mq.queueId}`);
  }
  await c1.shutdown();

  // A new member of the group resumes after the commits: only new messages.
  for (let i = 40; i < 44; i++) await producer.send({ topic, body: `lp ${i}` });
  const c2 = new LitePullConsumer({ groupName: 'lp_group', namesrvAddr, instanceName: 'lp-c2' });
  c2.subscribe(topic, '*');
  await c2.start();
  const more = new Set<string>();
  await waitFor(async () => { for (const m of await c2.poll(500)) more.add(m.body.toString()); return more.size >= 4; }, 20000, 'the 4 new messages');
  const extra = await c2.poll(1000);
  t.same([...more].sort(), ['lp 40', 'lp 41', 'lp 42', 'lp 43'], 'resumed from the committed offsets');
  t.same(extra, [], 'nothing older redelivered');
  await c2.shutdown();

  // Assign mode with a tag filter and seeks.
  const c3 = new LitePullConsumer({ groupName: 'lp_assign', namesrvAddr, instanceName: 'lp-c3', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  await c3.start();
  const queues = await c3.fetchMessageQueues(topic);
  t.equal(queues.length, 4);
  c3.assign(queues);
  const polled: MessageExt[] = [];
  const order3 = new OffsetOrder();
  await waitFor(async () => { for (const m of await c3.poll(500)) { order3.see(m); polled.push(m); } return polled.length >= 44; }, 20000, 'all 44 in assign mode');
  t.same(order3.backwards, [], 'assign mode: queue offsets never went backwards');
  const q0 = queues[0]!;
  c3.seek(q0, 1);
  order3.restart(q0);
  const again: MessageExt[] = [];
  await waitFor(async () => { for (const m of await c3.poll(500)) { order3.see(m); again.push(m); } return again.length > 0; }, 10000, 'messages after seek');
  t.same(order3.backwards, [], 'after the seek, the queue is read forward from the new offset');
  t.ok(again.every((m) => m.queueId === q0.queueId), 'only the sought queue is re-read');
  t.equal(Math.min(...again.map((m) => m.queueOffset)), 1, 'from offset 1');
  await c3.seekToEnd(q0);
  t.same(await c3.poll(800), [], 'nothing after seekToEnd');
  await c3.shutdown();

  await producer.shutdown();
});
