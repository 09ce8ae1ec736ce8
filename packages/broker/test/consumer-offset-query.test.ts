// QUERY_CONSUMER_OFFSET (14) for a group without a committed offset, as Apache's
// ConsumerManageProcessor: 0 while the queue starts at 0 and its first record is still within
// accessMessageInMemoryMaxRatio (40 %) of memory behind the commit-log end, else QUERY_NOT_FOUND (22)
// so the Java consumer applies consumeFromWhere (e.g. the benchmark Consumer starts at the end).
import t from 'tap';
import { RemotingCommand } from '@rmq/remoting';
import { ConsumerManageProcessor } from '../src/processor/consumer-manage.js';
import type { BrokerContext } from '../src/broker-context.js';

function processor(o: { committed?: number; minOffset?: number; maxOffset?: number; phy0?: number; maxPhy?: number }): ConsumerManageProcessor {
  const ctx = {
    consumerOffsetManager: { queryOffset: () => o.committed ?? -1 },
    store: {
      getMinOffsetInQueue: () => o.minOffset ?? 0,
      getMaxOffsetInQueue: () => o.maxOffset ?? 0,
      getCommitLogOffsetInQueue: () => o.phy0 ?? 0,
      getMaxPhyOffset: () => o.maxPhy ?? 0,
    },
  } as unknown as BrokerContext;
  const p = new ConsumerManageProcessor(ctx);
  p.inMemoryBytes = 1000;
  return p;
}

const ask = (p: ConsumerManageProcessor) =>
  p.queryConsumerOffset(RemotingCommand.request(14, { consumerGroup: 'g', topic: 'T', queueId: 0 }));

t.test('committed offset wins', async (t) => {
  const r = ask(processor({ committed: 7, maxOffset: 10, maxPhy: 1_000_000 }));
  t.equal(r.code, 0);
  t.equal(r.ext('offset'), '7');
});

t.test('no offset: 0 while message 0 is in memory, 22 once it is on disk', async (t) => {
  t.equal(ask(processor({ maxOffset: 0, maxPhy: 1_000_000 })).ext('offset'), '0', 'empty queue: 0');
  t.equal(ask(processor({ maxOffset: 5, phy0: 500, maxPhy: 1200 })).ext('offset'), '0', 'recent: 0');
  const far = ask(processor({ maxOffset: 5, phy0: 0, maxPhy: 5000 }));
  t.equal(far.code, 22, 'first record further back than memory: QUERY_NOT_FOUND');
  t.equal(ask(processor({ minOffset: 3, maxOffset: 5, phy0: 4900, maxPhy: 5000 })).code, 22, 'queue no longer starts at 0');
});
