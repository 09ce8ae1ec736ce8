// Consumer groups against mq-server: two instances of one group split the queues as the
// allocation strategy says, and broadcasting delivers every message to every instance.
import t from 'tap';
import { Producer, PushConsumer, allocateAveragely, allocateAveragelyByCircle } from '../packages/client/src/index.js';
import type { AllocateStrategyName } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startStandalone, waitFor } from './helpers/mq-process.js';

t.teardown(closeAdmin);

const held = (c: PushConsumer) => [...c.rebalance.processQueueTable.values()].map((e) => e.mq).filter((q) => !q.topic.startsWith('%'))
  .map((q) => q.queueId).sort((a, b) => a - b);

t.test('two instances split the queues per strategy and together consume everything', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  await createTopic(namesrvAddr, [broker], 'ClientSplit', 8);
  const producer = new Producer({ groupName: 'split_producer', namesrvAddr, instanceName: 'split-p' });
  await producer.start();
  t.teardown(() => producer.shutdown());

  for (const [strategy, impl] of [['AVG', allocateAveragely], ['AVG_BY_CIRCLE', allocateAveragelyByCircle]] as const) {
    const group = `split_${strategy.toLowerCase()}`;
    const got = [new Map<string, number>(), new Map<string, number>()];
    const consumers = [0, 1].map((i) => {
      const c = new PushConsumer({ groupName: group, namesrvAddr, instanceName: `${group}-${i}`, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
        allocateStrategy: strategy as AllocateStrategyName });
      c.subscribe('ClientSplit', '*').onMessage((m) => {
        const body = m.body.toString();
        if (body.startsWith(`${strategy} `)) got[i]!.set(body, (got[i]!.get(body) ?? 0) + 1); // a new group may replay older messages
      });
      return c;
    });
    for (const c of consumers) await c.start();
    await waitFor(() => held(consumers[0]!).length + held(consumers[1]!).length === 8 && held(consumers[0]!).length === 4, 25000, `${strategy} split 4/4`);
    const cids = consumers.map((c) => c.clientId!).sort();
    const mqAll = Array.from({ length: 8 }, (_, queueId) => ({ topic: 'ClientSplit', brokerName: 'broker-a', queueId }));
    for (const c of consumers) {
      t.same(held(c), impl.allocate(group, c.clientId!, mqAll, cids).map((q) => q.queueId), `${strategy}: ${c.clientId} holds what the strategy gives it`);
    }
    for (let i = 0; i < 64; i++) await producer.send({ topic: 'ClientSplit', body: `${strategy} ${i}` });
    await waitFor(() => got[0]!.size + got[1]!.size >= 64, 20000, 'all consumed');
    t.equal(got[0]!.size + got[1]!.size, 64, `${strategy}: every message consumed once across the group`);
    t.same([...got[0]!.values(), ...got[1]!.values()].filter((n) => n !== 1), [], 'no duplicates');
    t.ok(got[0]!.size > 0 && got[1]!.size > 0, `${strategy}: both instances consumed (${got[0]!.size}/${got[1]!.size})`);
    for (const c of consumers) await c.shutdown();
  }
});

t.test('broadcasting delivers every message to every instance', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  await createTopic(namesrvAddr, [broker], 'ClientBroadcast', 4);
  const producer = new Producer({ groupName: 'bc_producer', namesrvAddr, instanceName: 'bc-p' });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const offsetStoreDir = broker.storeDir + '/../offsets'; // in the server's temporary directory
  const got = [new Set<string>(), new Set<string>()];
  const consumers = [0, 1].map((i) => {
    const c = new PushConsumer({ groupName: 'bc_group', namesrvAddr, instanceName: `bc-${i}`, messageModel: 'BROADCASTING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', offsetStoreDir });
    c.subscribe('ClientBroadcast', '*').onMessage((m) => { got[i]!.add(m.body.toString()); });
    return c;
  });
  for (const c of consumers) await c.start();
  for (let i = 0; i < 20; i++) await producer.send({ topic: 'ClientBroadcast', body: `bc ${i}` });
  await waitFor(() => got[0]!.size >= 20 && got[1]!.size >= 20, 20000, 'both instances got all 20');
  t.equal(got[0]!.size, 20);
  t.equal(got[1]!.size, 20);
  t.equal(held(consumers[0]!).length, 4, 'each instance reads all 4 queues');
  for (const c of consumers) await c.shutdown();
  const fs = await import('node:fs');
  const files = fs.readdirSync(offsetStoreDir, { recursive: true }).map(String).filter((f) => f.endsWith('offsets.json'));
  t.equal(files.length, 2, 'local offsets persisted per instance');
});
