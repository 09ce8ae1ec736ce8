// ProcessQueue bookkeeping: what may be committed, orderly take/commit/rollback, selectors.
import t from 'tap';
import { ProcessQueue } from '../src/consumer/process-queue.js';
import type { MessageExt } from '../src/message.js';
import { selectByHash, selectByShardingKey } from '../src/producer/selectors.js';
import { tagMatches, buildSubscriptionData } from '../src/consumer/subscription.js';

const msg = (queueOffset: number, size = 10): MessageExt => ({ queueOffset, body: Buffer.alloc(size) } as MessageExt);

t.test('commit offset is the smallest unconsumed offset', async (t) => {
  const pq = new ProcessQueue();
  const m = [10, 11, 12, 13].map((o) => msg(o));
  t.equal(pq.putMessages(m), 4);
  t.equal(pq.putMessages([msg(12)]), 0, 'duplicates ignored');
  t.equal(pq.msgCount, 4);
  t.equal(pq.msgSizeBytes, 40);
  t.equal(pq.maxSpan(), 3);
  t.equal(pq.removeMessages([m[1]!]), 10, 'a gap before 11 keeps the offset at 10');
  t.equal(pq.removeMessages([m[0]!]), 12);
  t.equal(pq.removeMessages([m[3]!, m[2]!]), 14, 'empty: one past the largest');
  t.equal(pq.msgCount, 0);
  t.equal(pq.removeMessages([m[0]!]), -1);
});

t.test('orderly take, commit and consume again', async (t) => {
  const pq = new ProcessQueue();
  pq.putMessages([0, 1, 2].map((o) => msg(o)));
  const a = pq.takeMessages(1);
  t.same(a.map((x) => x.queueOffset), [0]);
  pq.makeMessagesToConsumeAgain(a);
  t.same(pq.takeMessages(1).map((x) => x.queueOffset), [0], 'the failed message comes first again');
  t.equal(pq.commit(), 1);
  t.same(pq.takeMessages(5).map((x) => x.queueOffset), [1, 2]);
  t.equal(pq.commit(), 3);
  t.equal(pq.msgCount, 0);
});

t.test('gaps, late and repeated offsets keep the smallest held offset right', async (t) => {
  const pq = new ProcessQueue();
  t.equal(pq.putMessages([2, 5, 9].map((o) => msg(o))), 3, 'gaps (tag-filtered offsets)');
  t.equal(pq.putMessages([7, 1].map((o) => msg(o))), 2, 'offsets below the last one go in order');
  t.equal(pq.maxSpan(), 8);
  t.equal(pq.removeMessage(msg(5)), 1);
  t.equal(pq.removeMessage(msg(1)), 2);
  t.equal(pq.putMessages([msg(5)]), 1, 'a removed offset pulled again is held again');
  t.equal(pq.removeMessage(msg(2)), 5);
  t.equal(pq.removeMessage(msg(3)), 5, 'an offset never held changes nothing');
  t.equal(pq.msgCount, 3);
  t.same(pq.takeMessages(2).map((x) => x.queueOffset), [5, 7], 'orderly takes the lowest first');
  t.equal(pq.putMessages([msg(5)]), 0, 'a taken offset is not held twice');
  t.equal(pq.commit(), 8);
  t.equal(pq.removeMessage(msg(9)), 10, 'empty: one past the largest');
  t.equal(pq.hasTempMessage(), false);
  t.equal(pq.removeMessage(msg(9)), -1);
});

t.test('a long run consumed out of order never commits past a gap', async (t) => {
  const pq = new ProcessQueue();
  let next = 0;
  const inFlight: MessageExt[] = [];
  let committed = 0;
  const wrong: string[] = [];
  for (let round = 0; round < 200; round++) {
    const batch = Array.from({ length: 32 }, () => msg(next++));
    pq.putMessages(batch);
    inFlight.push(...batch);
    // consume out of order, keeping some of the oldest in flight for a while
    while (inFlight.length > 40) {
      const m = inFlight.splice(inFlight.length > 60 ? 5 : 0, 1)[0]!;
      const c = pq.removeMessage(m);
      const smallest = Math.min(...inFlight.map((x) => x.queueOffset));
      if (c < committed || c !== smallest) wrong.push(`after ${m.queueOffset}: ${c} (was ${committed}, smallest held ${smallest})`);
      committed = c;
    }
  }
  t.same(wrong, [], 'each commit offset is the smallest still in flight, never lower than the one before');
  for (const m of inFlight.splice(0)) committed = pq.removeMessage(m);
  t.equal(committed, next);
  t.equal(pq.msgCount, 0);
  t.equal(pq.msgSizeBytes, 0);
});

t.test('selectors are stable per key', async (t) => {
  const qs = [0, 1, 2, 3].map((queueId) => ({ topic: 'T', brokerName: 'b', queueId }));
  const m = { topic: 'T', body: 'x' };
  t.equal(selectByHash(qs, m, 'order-1').queueId, selectByHash(qs, m, 'order-1').queueId);
  t.equal(selectByShardingKey(qs, m, 'k').queueId, selectByShardingKey(qs, m, 'k').queueId);
  const spread = new Set(Array.from({ length: 50 }, (_, i) => selectByShardingKey(qs, m, `key-${i}`).queueId));
  t.equal(spread.size, 4);
});

t.test('client-side tag filter follows the Java client', async (t) => {
  const sd = buildSubscriptionData('T', 'A || B');
  t.ok(tagMatches(sd, 'A'));
  t.notOk(tagMatches(sd, 'C'));
  t.notOk(tagMatches(sd, undefined));
  t.ok(tagMatches(buildSubscriptionData('T', '*'), undefined));
  t.ok(tagMatches(buildSubscriptionData('T', { type: 'SQL92', expression: 'a > 1' }), 'X'));
});
