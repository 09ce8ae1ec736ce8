// Consumer groups and long polling through ali-ons: two consumers of one group split the queues
// and one takes over when the other leaves; an idle consumer's pulls are held (a handful of pull
// requests per second at most, no busy loop) and a new message wakes its held pull at once.
import t from 'tap';
import { closeClients, createTopic, heldQueues, newConsumer, newProducer, ons, sleep, startCluster, waitFor } from './helpers/broker-cluster.js';

t.test('two consumers split the queues; the survivor takes over', async (t) => {
  const c = await startCluster(t);
  await createTopic(c, 'GroupTopic', 4);
  const producer = newProducer(c, 'group_producer');
  await producer.ready();
  const byQueue = new Map<number, Set<string>>();
  const seen = new Map<string, Set<string>>();
  const make = (name: string) => {
    const cons = newConsumer(c, 'split_group', { instanceName: name });
    cons.subscribe('GroupTopic', '*', async (msg: any) => {
      const body = msg.body.toString();
      if (!byQueue.has(msg.queueId)) byQueue.set(msg.queueId, new Set());
      byQueue.get(msg.queueId)!.add(name);
      if (!seen.has(body)) seen.set(body, new Set());
      seen.get(body)!.add(name);
    });
    return cons;
  };
  const c1 = make('c1');
  const c2 = make('c2');
  await Promise.all([c1.ready(), c2.ready()]);
  await waitFor(() => c.broker.consumerManager.getConsumerGroupInfo('split_group')?.allClientIds().length === 2, 10_000, 'both registered');
  // both rebalanced: two queues each, together all four
  await waitFor(() => heldQueues(c1, 'GroupTopic').length === 2 && heldQueues(c2, 'GroupTopic').length === 2
    && new Set([...heldQueues(c1, 'GroupTopic'), ...heldQueues(c2, 'GroupTopic')]).size === 4, 15_000, 'the queues split 2/2');
  for (let i = 0; i < 40; i++) await producer.send(new ons.Message('GroupTopic', 'T', `phase1-${i}`));
  await waitFor(() => [...seen.keys()].filter((b) => b.startsWith('phase1')).length === 40, 15_000, 'phase 1 consumed');
  const owners = [0, 1, 2, 3].map((q) => [...(byQueue.get(q) ?? [])]);
  t.ok(owners.every((o) => o.length === 1), `each queue consumed by one member: ${JSON.stringify(owners)}`);
  t.equal(owners.filter((o) => o[0] === 'c1').length, 2, 'c1 has two queues');
  t.equal(owners.filter((o) => o[0] === 'c2').length, 2, 'c2 has two queues');

  await closeClients(c, [c2]);
  await waitFor(() => c.broker.consumerManager.getConsumerGroupInfo('split_group')?.allClientIds().length === 1, 10_000, 'c2 gone');
  await waitFor(() => heldQueues(c1, 'GroupTopic').length === 4, 15_000, 'c1 to take all four queues');
  for (let i = 0; i < 40; i++) await producer.send(new ons.Message('GroupTopic', 'T', `phase2-${i}`));
  await waitFor(() => [...seen.keys()].filter((b) => b.startsWith('phase2')).length === 40, 15_000, 'phase 2 consumed');
  const phase2 = [...seen.entries()].filter(([b]) => b.startsWith('phase2'));
  t.ok(phase2.every(([, who]) => who.size === 1 && who.has('c1')), 'c1 consumed everything after c2 left');
  await closeClients(c, [c1, producer]);
});

t.test('long polling: an idle consumer does not spin, and a new message is delivered at once', async (t) => {
  const c = await startCluster(t);
  await createTopic(c, 'IdleTopic', 4);
  const producer = newProducer(c, 'idle_producer');
  await producer.ready();
  const got: number[] = [];
  const consumer = newConsumer(c, 'idle_group', { instanceName: 'i1' });
  consumer.subscribe('IdleTopic', '*', async () => { got.push(Date.now()); });
  await consumer.ready();
  await waitFor(() => c.broker.pullRequestHoldService.size >= 5, 10_000, '4 queues + retry queue held');
  const before = c.broker.stats.pullRequests;
  await sleep(3000); // the measuring window of the idle pull rate (the thing under test)
  const perSecond = (c.broker.stats.pullRequests - before) / 3;
  t.ok(perSecond <= 3, `idle pulls per second: ${perSecond} (held: ${c.broker.pullRequestHoldService.size})`);
  t.ok(c.broker.pullRequestHoldService.size >= 5, 'the pulls are parked in the hold service');
  const sentAt = Date.now();
  await producer.send(new ons.Message('IdleTopic', 'T', 'wake up'));
  await waitFor(() => got.length === 1, 5000, 'delivery');
  t.ok(got[0]! - sentAt < 1500, `held pull woken by the new message (${got[0]! - sentAt} ms)`);
  t.ok(c.broker.stats.pullWakeups >= 1, 'woken by the store notification');
  await closeClients(c, [consumer, producer]);
});
