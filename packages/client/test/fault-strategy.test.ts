// Latency fault tolerance: a broker that failed or answered slowly is avoided for a while.
import t from 'tap';
import { FaultStrategy, LatencyFaultTolerance, computeNotAvailableMs } from '../src/producer/fault-strategy.js';
import type { MessageQueue } from '../src/message.js';

const mqs: MessageQueue[] = ['broker-a', 'broker-b'].flatMap((b) => [0, 1, 2, 3].map((queueId) => ({ topic: 'T', brokerName: b, queueId })));

t.test('latency steps', async (t) => {
  t.equal(computeNotAvailableMs(10), 0);
  t.equal(computeNotAvailableMs(100), 0);
  t.equal(computeNotAvailableMs(550), 30000);
  t.equal(computeNotAvailableMs(2500), 120000);
  t.equal(computeNotAvailableMs(30000), 600000);
});

t.test('round robin over all queues when every broker is healthy', async (t) => {
  const f = new FaultStrategy(true);
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) { const q = f.selectOneMessageQueue(mqs); seen.add(`${q.brokerName}:${q.queueId}`); }
  t.equal(seen.size, 8);
});

t.test('a failed broker is avoided until its penalty expires', async (t) => {
  let now = 1_000_000;
  const f = new FaultStrategy(true, () => now);
  f.updateFaultItem('broker-a', 5, true);
  for (let i = 0; i < 20; i++) t.equal(f.selectOneMessageQueue(mqs).brokerName, 'broker-b');
  now += 600_001;
  const brokers = new Set<string>();
  for (let i = 0; i < 8; i++) brokers.add(f.selectOneMessageQueue(mqs).brokerName);
  t.same([...brokers].sort(), ['broker-a', 'broker-b']);
});

t.test('a slow broker is avoided; a fast one is not', async (t) => {
  const f = new FaultStrategy(true);
  f.updateFaultItem('broker-b', 20, false);
  f.updateFaultItem('broker-a', 1200, false);
  for (let i = 0; i < 10; i++) t.equal(f.selectOneMessageQueue(mqs).brokerName, 'broker-b');
});

t.test('a retry goes to another broker', async (t) => {
  const f = new FaultStrategy(true);
  for (let i = 0; i < 10; i++) t.equal(f.selectOneMessageQueue(mqs, 'broker-a').brokerName, 'broker-b');
  const off = new FaultStrategy(false);
  for (let i = 0; i < 10; i++) t.equal(off.selectOneMessageQueue(mqs, 'broker-b').brokerName, 'broker-a');
});

t.test('when every broker is faulty, one is still chosen', async (t) => {
  const f = new FaultStrategy(true);
  f.updateFaultItem('broker-a', 0, true);
  f.updateFaultItem('broker-b', 0, true);
  t.ok(['broker-a', 'broker-b'].includes(f.selectOneMessageQueue(mqs).brokerName));
  t.equal(f.selectOneMessageQueue(mqs, 'broker-a').brokerName, 'broker-b');
  const single = mqs.filter((q) => q.brokerName === 'broker-a');
  t.equal(f.selectOneMessageQueue(single, 'broker-a').brokerName, 'broker-a', 'the only broker is used anyway');
});

t.test('updating a broker twice keeps one item with the latest figures', async (t) => {
  let now = 1000;
  const ft = new LatencyFaultTolerance(() => now);
  ft.update('b1', 600, 30000);
  t.equal(ft.isAvailable('b1'), false);
  ft.update('b1', 10, 0);
  t.equal(ft.isAvailable('b1'), true, 'the later update wins');
  now += 1;
  t.equal(ft.pickOneAtLeast(), 'b1');
});

t.test('round robin is per topic: alternating two topics still walks every queue of each', async (t) => {
  const f = new FaultStrategy(true);
  const topicQueues = (topic: string): MessageQueue[] => [0, 1, 2, 3].map((queueId) => ({ topic, brokerName: 'broker-a', queueId }));
  const a = topicQueues('A');
  const b = topicQueues('B');
  const seenA = new Set<number>();
  const seenB = new Set<number>();
  for (let i = 0; i < 8; i++) {
    seenA.add(f.selectOneMessageQueue(a).queueId);
    seenB.add(f.selectOneMessageQueue(b).queueId);
  }
  t.same([...seenA].sort(), [0, 1, 2, 3]);
  t.same([...seenB].sort(), [0, 1, 2, 3]);
});
