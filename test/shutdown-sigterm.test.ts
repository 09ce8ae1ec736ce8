// SIGTERM to a loaded `mq-server standalone` (64 sends in flight, a push consumer committing offsets):
// the process flushes and exits 0 within a few seconds; a restart on the same store recovers "after
// a clean stop" without cutting anything (no torn tail, no dropped queue entries), serves every
// acknowledged message intact at its offset, keeps the consumer offsets it had, and takes new sends.
import fs from 'node:fs';
import t from 'tap';
import { PushConsumer, Producer } from '../packages/client/src/index.js';
import { Admin, startServer, tmpDir, type MqServer } from './helpers/mq-process.js';
import { checkBody, load, readAll, TOPICS, QUEUES } from './helpers/mq-load.js';
import { bounded } from './helpers/wait.js';

const TRUNCATION = /torn tail|the log ends there|beyond the valid end|dropped entries|zeroed|after a crash/;
const GROUP = 'sigterm_consumer';

async function committedOffsets(admin: Admin, s: MqServer, topic: string): Promise<number[]> {
  const out: number[] = [];
  for (let q = 0; q < QUEUES; q++) {
    const r = await admin.call(s.brokerAddr, 14, { consumerGroup: GROUP, topic, queueId: q });
    out.push(r.code === 0 ? Number(r.extFields!['offset']) : -1);
  }
  return out;
}

for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
  t.test(`${flushDiskType}: SIGTERM during load flushes, exits 0, and the restart recovers cleanly`, async (t) => {
    const storeDir = tmpDir(`sigterm-${flushDiskType.toLowerCase()}`);
    t.teardown(() => fs.rmSync(storeDir, { recursive: true, force: true }));
    const admin = new Admin();
    t.teardown(() => admin.close());
    // A long flush interval: under ASYNC_FLUSH most of the log is only on the OS when SIGTERM comes.
    const extra = [`--flushDiskType=${flushDiskType}`, '--flushIntervalCommitLog=10000', '--flushConsumerOffsetInterval=60000'];
    const first = await startServer({ storeDir, extra });
    t.teardown(() => first.kill());
    for (const topic of TOPICS) await admin.createTopic(first, topic, QUEUES);

    // A consumer on the first topic commits offsets while the load runs.
    const consumer = new PushConsumer({ groupName: GROUP, namesrvAddr: first.nsAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', instanceName: `sigterm-c-${flushDiskType}-${process.pid}` });
    consumer.subscribe(TOPICS[0]!, '*');
    let consumed = 0;
    consumer.onMessage(async () => { consumed++; });
    await consumer.start();
    t.teardown(() => bounded(consumer.shutdown().catch(() => undefined), 3000));

    let before: number[] = [];
    const { acks, failures, afterSignal, signalAt } = await load(first, 2500, `sigterm_${flushDiskType}`, 'SIGTERM', async () => {
      // the offsets the broker holds just before the signal (the consumer persists them every 5 s)
      before = await committedOffsets(admin, first, TOPICS[0]!);
    });
    const exit = { ...(await first.exited), ms: Date.now() - signalAt };
    t.equal(exit.code, 0, 'exit status 0');
    t.equal(exit.signal, null);
    t.ok(exit.ms < 15000, `exited ${exit.ms} ms after SIGTERM`);
    t.comment(`${acks.length} acknowledged (${afterSignal} after the signal), ${failures} failed, ${consumed} consumed; offsets before SIGTERM ${before.join(',')}`);
    t.match(first.out(), /SIGTERM received, shutting down/);
    t.match(first.err(), /broker broker-a stopped/);
    t.notMatch(first.err(), /Unhandled|TypeError|RangeError|ERROR/, 'no errors during the shutdown');
    await bounded(consumer.shutdown().catch(() => undefined), 3000);
    t.notOk(fs.existsSync(`${storeDir}/abort`), 'the abort marker is gone (clean stop)');

    const second = await startServer({ storeDir, extra, nsPort: Number(first.nsAddr.split(':')[1]), port: Number(first.brokerAddr.split(':')[1]) });
    t.teardown(() => second.stop());
    t.match(second.err(), /recovering from commit log offset \d+ \(after a clean stop\)/, 'recovery after a clean stop');
    t.notMatch(second.err(), TRUNCATION, 'no truncation on restart');
    for (const topic of TOPICS) await admin.waitRoute(second, topic);

    const { byKey, problems } = await readAll(t, admin, second);
    t.same(problems.slice(0, 20), [], 'every queue contiguous from 0, every record intact');
    let missing = 0;
    for (const a of acks) {
      const m = byKey.get(`${a.topic}/${a.queueId}/${a.queueOffset}`);
      if (!m || checkBody(m.body) !== a.seq || m.msgId !== a.msgId) missing++;
    }
    t.equal(missing, 0, `all ${acks.length} acknowledged messages served intact at their offsets`);

    const after = await committedOffsets(admin, second, TOPICS[0]!);
    t.ok(before.length === QUEUES && after.every((o, i) => o >= before[i]!), `consumer offsets kept (${after.join(',')} >= ${before.join(',')})`);

    const producer = new Producer({ groupName: `sigterm_after_${flushDiskType}`, namesrvAddr: second.nsAddr, instanceName: `sigterm-after-${process.pid}` });
    await producer.start();
    t.teardown(() => producer.shutdown());
    t.equal((await producer.send({ topic: TOPICS[1]!, body: 'after restart' })).status, 'SEND_OK', 'new sends after the restart');
    await producer.shutdown();
    t.equal((await second.stop()).code, 0);
  });
}
