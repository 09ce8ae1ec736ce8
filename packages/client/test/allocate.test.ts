// Queue allocation strategies: every queue goes to exactly one client, shares are fair, and the
// results match the Java algorithms on known inputs.
import t from 'tap';
import type { MessageQueue } from '../src/message.js';
import { mqKey } from '../src/message.js';
import {
  allocateAveragely, allocateAveragelyByCircle, allocateByConfig, allocateConsistentHash, md5Hash32, messageQueueText,
} from '../src/consumer/allocate-strategies.js';
import type { AllocateStrategy } from '../src/consumer/allocate-strategies.js';

const queues = (n: number, brokers = ['broker-a']): MessageQueue[] =>
  brokers.flatMap((b) => Array.from({ length: n }, (_, i) => ({ topic: 'T', brokerName: b, queueId: i })));
const cids = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}@c${i}`).sort();
const ids = (l: MessageQueue[]) => l.map((q) => `${q.brokerName}:${q.queueId}`);

function checkPartition(t: any, s: AllocateStrategy, mqAll: MessageQueue[], all: string[]) {
  const seen = new Map<string, string>();
  for (const c of all) {
    for (const q of s.allocate('g', c, mqAll, all)) {
      t.notOk(seen.has(mqKey(q)), `${s.name}: ${mqKey(q)} given once`);
      seen.set(mqKey(q), c);
    }
  }
  t.equal(seen.size, mqAll.length, `${s.name}: every queue allocated (${mqAll.length} queues, ${all.length} clients)`);
}

t.test('averagely: contiguous blocks, first clients take the remainder', async (t) => {
  const mq = queues(8);
  const c = cids(3);
  t.same(ids(allocateAveragely.allocate('g', c[0]!, mq, c)), ['broker-a:0', 'broker-a:1', 'broker-a:2']);
  t.same(ids(allocateAveragely.allocate('g', c[1]!, mq, c)), ['broker-a:3', 'broker-a:4', 'broker-a:5']);
  t.same(ids(allocateAveragely.allocate('g', c[2]!, mq, c)), ['broker-a:6', 'broker-a:7']);
  // More clients than queues: the extra clients get nothing.
  const many = cids(5);
  t.same(ids(allocateAveragely.allocate('g', many[4]!, queues(4), many)), []);
  t.same(ids(allocateAveragely.allocate('g', many[3]!, queues(4), many)), ['broker-a:3']);
  t.same(allocateAveragely.allocate('g', 'not-in-list', mq, c), []);
});

t.test('averagely by circle: dealt round robin', async (t) => {
  const mq = queues(4, ['broker-a', 'broker-b']);
  const c = cids(3);
  t.same(ids(allocateAveragelyByCircle.allocate('g', c[0]!, mq, c)), ['broker-a:0', 'broker-a:3', 'broker-b:2']);
  t.same(ids(allocateAveragelyByCircle.allocate('g', c[1]!, mq, c)), ['broker-a:1', 'broker-b:0', 'broker-b:3']);
});

t.test('every strategy partitions the queues', async (t) => {
  for (const s of [allocateAveragely, allocateAveragelyByCircle, allocateConsistentHash()]) {
    for (const [nq, nc] of [[8, 1], [8, 2], [8, 3], [16, 5], [3, 4]] as const) checkPartition(t, s, queues(nq / 1, ['broker-a', 'broker-b']), cids(nc));
  }
});

t.test('consistent hash: Java MD5 router hash, stable under membership change', async (t) => {
  // First four MD5 bytes, unsigned: md5("a") = 0cc175b9...
  t.equal(md5Hash32('a'), 0x0cc175b9);
  t.equal(messageQueueText({ topic: 'T', brokerName: 'b', queueId: 3 }), 'MessageQueue [topic=T, brokerName=b, queueId=3]');
  const s = allocateConsistentHash(10);
  const mq = queues(32, ['broker-a', 'broker-b']);
  const before = cids(4);
  const after = cids(5);
  const owner = (all: string[]) => {
    const m = new Map<string, string>();
    for (const c of all) for (const q of s.allocate('g', c, mq, all)) m.set(mqKey(q), c);
    return m;
  };
  const a = owner(before);
  const b = owner(after);
  let moved = 0;
  for (const [k, c] of a) if (b.get(k) !== c) moved++;
  for (const [k, c] of b) if (a.get(k) !== c) t.equal(c, after.find((x) => !before.includes(x)), `${k} only moves to the new client`);
  t.ok(moved < mq.length / 2, `only some queues move (${moved}/${mq.length})`);
  t.throws(() => allocateConsistentHash(-1));
});

t.test('by config: a fixed list', async (t) => {
  const mine = [{ topic: 'T', brokerName: 'broker-b', queueId: 1 }, { topic: 'T', brokerName: 'broker-a', queueId: 2 }];
  t.same(ids(allocateByConfig(mine).allocate('g', 'x', queues(4), ['x'])), ['broker-a:2', 'broker-b:1']);
});
