// kill -9 of a loaded `mq-server standalone`: our Producer keeps 64 sends in flight across 2 topics x
// 4 queues, every SEND_OK is recorded (topic, queue, offset, msgId, body checksum), the server is
// SIGKILLed after a few thousand acks and restarted on the same store directory (twice). Then every queue is
// read from offset 0 with raw pulls: every acknowledged message is there, at the offset its ack
// named, intact; each queue offset is served exactly once with a valid record; and the broker takes
// new sends at the next offsets. SYNC_FLUSH (acks after fdatasync) and ASYNC_FLUSH (acks once the OS
// has the bytes, which a process kill does not lose).
import fs from 'node:fs';
import t from 'tap';
import { Producer, PushConsumer } from '../packages/client/src/index.js';
import { Admin, startServer, tmpDir, waitFor } from './helpers/mq-process.js';
import { checkBody, load, makeBody, readAll, TOPICS, QUEUES, type Ack } from './helpers/mq-load.js';
import type { DecodedMessage } from '../packages/remoting/dist/index.js';

for (const flushDiskType of ['SYNC_FLUSH', 'ASYNC_FLUSH'] as const) {
  t.test(`${flushDiskType}: acknowledged messages survive SIGKILL mid-load`, async (t) => {
    const storeDir = tmpDir(`kill9-${flushDiskType.toLowerCase()}`);
    t.teardown(() => fs.rmSync(storeDir, { recursive: true, force: true }));
    const admin = new Admin();
    t.teardown(() => admin.close());
    const extra = [`--flushDiskType=${flushDiskType}`];
    let server = await startServer({ storeDir, extra });
    t.teardown(() => server.kill());
    for (const topic of TOPICS) await admin.createTopic(server, topic, QUEUES);

    // Two rounds: load, SIGKILL, restart on the same store directory and ports (the second round
    // crashes a store that itself came out of crash recovery).
    const acks: Ack[] = [];
    let byKey = new Map<string, DecodedMessage>();
    let maxOffsets = new Map<string, number>();
    for (let round = 0; round < 2; round++) {
      const crashed = server;
      const r = await load(crashed, 2500, `kill9_${flushDiskType}_${round}`, 'SIGKILL', undefined, round * 1_000_000);
      acks.push(...r.acks);
      const exit = await crashed.exited;
      t.equal(exit.signal, 'SIGKILL', `round ${round}: killed with SIGKILL`);
      t.ok(r.killedAt >= 2500, `round ${round}: killed after ${r.killedAt} acks`);
      t.comment(`round ${round}: ${r.acks.length} acknowledged, ${r.failures} failed sends (in flight at the kill)`);
      t.notMatch(crashed.err(), /Unhandled|TypeError|RangeError/, `round ${round}: no errors logged before the kill`);

      server = await startServer({ storeDir, extra, nsPort: Number(crashed.nsAddr.split(':')[1]), port: Number(crashed.brokerAddr.split(':')[1]) });
      t.match(server.err(), /recovering from commit log offset \d+ \(after a crash\)/, `round ${round}: recovery saw the crash`);
      for (const topic of TOPICS) await admin.waitRoute(server, topic);
      const read = await readAll(t, admin, server);
      t.same(read.problems.slice(0, 20), [], `round ${round}: every queue is contiguous from 0, every record intact, each offset served once`);
      byKey = read.byKey;
      maxOffsets = read.maxOffsets;
    }
    const second = server;

    let missing = 0;
    let wrong = 0;
    for (const a of acks) {
      const m = byKey.get(`${a.topic}/${a.queueId}/${a.queueOffset}`);
      if (!m) { missing++; continue; }
      if (checkBody(m.body) !== a.seq || m.msgId !== a.msgId || m.properties['KEYS'] !== `k${a.seq}`) wrong++;
    }
    t.equal(missing, 0, `all ${acks.length} acknowledged messages are present`);
    t.equal(wrong, 0, 'each at the offset its ack named, with its body, msgId and keys');
    const seqs = new Set<number>();
    let dupBodies = 0;
    for (const m of byKey.values()) {
      const s = checkBody(m.body);
      if (seqs.has(s)) dupBodies++;
      seqs.add(s);
    }
    t.equal(dupBodies, 0, 'no message stored twice');

    // New sends after the restart land at the next offsets.
    const producer = new Producer({ groupName: `after_${flushDiskType}`, namesrvAddr: second.nsAddr, instanceName: `after-${flushDiskType}-${process.pid}` });
    await producer.start();
    t.teardown(() => producer.shutdown());
    const next: Ack[] = [];
    for (let i = 0; i < 8; i++) {
      const n = 9_000_000 + i;
      const r = await producer.send({ topic: TOPICS[i % 2]!, body: makeBody(n) });
      t.equal(r.status, 'SEND_OK');
      next.push({ seq: n, topic: TOPICS[i % 2]!, queueId: r.queue.queueId, queueOffset: r.queueOffset, msgId: r.msgId });
    }
    const firstNew = new Map<string, number>();
    for (const a of next) {
      const k = `${a.topic}/${a.queueId}`;
      if (!firstNew.has(k)) firstNew.set(k, a.queueOffset);
    }
    for (const [k, off] of firstNew) t.equal(off, maxOffsets.get(k), `${k}: the first new message follows the recovered ones`);

    // Our PushConsumer gets every acknowledged message (and the new ones) of one topic.
    const topic = TOPICS[0]!;
    const want = new Set([...acks, ...next].filter((a) => a.topic === topic).map((a) => a.msgId));
    const got = new Set<string>();
    const consumer = new PushConsumer({ groupName: `kill9_consumer_${flushDiskType}`, namesrvAddr: second.nsAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', instanceName: `c-${flushDiskType}-${process.pid}` });
    consumer.subscribe(topic, '*');
    let corrupt = 0;
    consumer.onMessage(async (m) => {
      if (checkBody(m.body) < 0) corrupt++;
      got.add(m.msgId);
    });
    await consumer.start();
    t.teardown(() => consumer.shutdown());
    await waitFor(() => [...want].every((id) => got.has(id)), 30000, `${want.size} messages through the PushConsumer`).catch(() => undefined);
    t.equal([...want].filter((id) => !got.has(id)).length, 0, `the PushConsumer got all ${want.size} acknowledged messages of ${topic}`);
    t.equal(corrupt, 0, 'no corrupt body delivered');
    await consumer.shutdown();
    await producer.shutdown();

    const stopped = await second.stop();
    t.equal(stopped.code, 0, 'clean exit after the restart');
    t.notMatch(second.err(), /Unhandled|TypeError|RangeError/, 'no error traces');
  });
}
