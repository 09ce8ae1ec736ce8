// kill -9 of a loaded `mq-server standalone`: our Producer keeps 64 sends in flight across 2 topics x
// 4 queues, every SEND_OK is recorded (topic, queue, offset, msgId, body checksum), the server is
// SIGKILLed after a few thousand acks and restarted on the same store directory. Then every queue is
// read from offset 0 with raw pulls: every acknowledged message is there, at the offset its ack
// named, intact; each queue offset is served exactly once with a valid record; and the broker takes
// new sends at the next offsets. SYNC_FLUSH (acks after fdatasync) and ASYNC_FLUSH (acks once the OS
// has the bytes, which a process kill does not lose).
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import t, { type Test } from 'tap';
import { decodeMessages, type DecodedMessage } from '../packages/remoting/dist/index.js';
import { Producer, PushConsumer } from '../packages/client/src/index.js';
import { Admin, startServer, tmpDir, waitFor, sleep, type MqServer } from './helpers/mq-process.js';

const TOPICS = ['DurableA', 'DurableB'];
const QUEUES = 4;
const IN_FLIGHT = 64;

interface Ack { seq: number; topic: string; queueId: number; queueOffset: number; msgId: string }

function makeBody(seq: number): string {
  const pad = crypto.randomBytes(20 + (seq % 200)).toString('hex');
  const head = `seq=${seq};pad=${pad}`;
  return `${head};sum=${crypto.createHash('sha1').update(head).digest('hex')}`;
}

/** The sequence number of an intact body, or -1. */
function checkBody(body: Buffer): number {
  const m = /^(seq=(\d+);pad=[0-9a-f]+);sum=([0-9a-f]{40})$/.exec(body.toString('latin1'));
  if (!m || crypto.createHash('sha1').update(m[1]!).digest('hex') !== m[3]) return -1;
  return Number(m[2]);
}

const crc = (b: Buffer): number => (zlib.crc32(b) & 0x7fffffff) >>> 0;

async function load(server: MqServer, killAfterAcks: number, group: string): Promise<{ acks: Ack[]; failures: number; killedAt: number }> {
  const producer = new Producer({ groupName: group, namesrvAddr: server.nsAddr, retryTimesWhenSendFailed: 0, sendMsgTimeoutMs: 5000, instanceName: `${group}-${process.pid}` });
  await producer.start();
  const acks: Ack[] = [];
  let failures = 0;
  let seq = 0;
  let killedAt = -1;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const n = seq++;
      const topic = TOPICS[n % TOPICS.length]!;
      try {
        // Spread each topic over its queues (the producer's own round robin is one counter for all topics).
        const r = await producer.send({ topic, body: makeBody(n), keys: `k${n}` }, { selector: (qs) => qs[Math.floor(n / TOPICS.length) % qs.length]!, arg: n });
        if (r.status === 'SEND_OK') acks.push({ seq: n, topic, queueId: r.queue.queueId, queueOffset: r.queueOffset, msgId: r.msgId });
        else failures++;
      } catch {
        failures++;
        if (killedAt < 0) await sleep(20); // not expected before the kill; do not spin
      }
      if (killedAt < 0 && acks.length >= killAfterAcks) {
        killedAt = acks.length;
        server.proc.kill('SIGKILL');
      }
      if (killedAt >= 0 && server.proc.exitCode === null && server.proc.signalCode === null) await server.exited;
      if (killedAt >= 0) stop = true;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await Promise.race([producer.shutdown().catch(() => undefined), sleep(5000)]);
  return { acks, failures, killedAt };
}

/** Every record of every queue, read with pulls from offset 0, checked as it is read. */
async function readAll(t: Test, admin: Admin, server: MqServer): Promise<{ byKey: Map<string, DecodedMessage>; maxOffsets: Map<string, number>; problems: string[] }> {
  const byKey = new Map<string, DecodedMessage>();
  const maxOffsets = new Map<string, number>();
  const problems: string[] = [];
  for (const topic of TOPICS) {
    for (let q = 0; q < QUEUES; q++) {
      let offset = 0;
      let maxOffset = -1;
      for (let guard = 0; guard < 10000; guard++) {
        const r = await admin.pull(server, topic, q, offset, 32);
        const ext = r.extFields ?? {};
        maxOffset = Number(ext['maxOffset']);
        if (r.code === 19 || r.code === 20) { // PULL_NOT_FOUND / RETRY_IMMEDIATELY
          if (offset >= maxOffset) break;
          problems.push(`${topic}/${q}: pull at ${offset} < max ${maxOffset} answered ${r.code} ${r.remark}`);
          break;
        }
        if (r.code !== 0) { problems.push(`${topic}/${q}: pull at ${offset}: ${r.code} ${r.remark}`); break; }
        let msgs: DecodedMessage[];
        try {
          msgs = decodeMessages(r.bodyBuffer()!);
        } catch (e) {
          problems.push(`${topic}/${q}: undecodable pull body at ${offset}: ${(e as Error).message}`);
          break;
        }
        if (msgs.length === 0) { problems.push(`${topic}/${q}: FOUND with no records at ${offset}`); break; }
        for (const m of msgs) {
          if (m.queueOffset !== offset) problems.push(`${topic}/${q}: expected offset ${offset}, got ${m.queueOffset}`);
          if (m.topic !== topic || m.queueId !== q) problems.push(`${topic}/${q}@${m.queueOffset}: record of ${m.topic}/${m.queueId}`);
          if (m.bodyCRC !== crc(m.body)) problems.push(`${topic}/${q}@${m.queueOffset}: body CRC mismatch`);
          if (checkBody(m.body) < 0) problems.push(`${topic}/${q}@${m.queueOffset}: body checksum mismatch`);
          const key = `${topic}/${q}/${m.queueOffset}`;
          if (byKey.has(key)) problems.push(`${key} served twice`);
          byKey.set(key, m);
          offset = m.queueOffset + 1;
        }
        if (Number(ext['nextBeginOffset']) !== offset) problems.push(`${topic}/${q}: nextBeginOffset ${ext['nextBeginOffset']} != ${offset}`);
      }
      if (offset !== maxOffset) problems.push(`${topic}/${q}: read up to ${offset}, max offset ${maxOffset}`);
      maxOffsets.set(`${topic}/${q}`, maxOffset);
    }
  }
  t.comment(`read back ${byKey.size} records`);
  return { byKey, maxOffsets, problems };
}

for (const flushDiskType of ['SYNC_FLUSH', 'ASYNC_FLUSH'] as const) {
  t.test(`${flushDiskType}: acknowledged messages survive SIGKILL mid-load`, async (t) => {
    const storeDir = tmpDir(`kill9-${flushDiskType.toLowerCase()}`);
    t.teardown(() => fs.rmSync(storeDir, { recursive: true, force: true }));
    const admin = new Admin();
    t.teardown(() => admin.close());
    const extra = [`--flushDiskType=${flushDiskType}`];
    const first = await startServer({ storeDir, extra });
    t.teardown(() => first.kill());
    for (const topic of TOPICS) await admin.createTopic(first, topic, QUEUES);

    const { acks, failures, killedAt } = await load(first, 3000, `kill9_${flushDiskType}`);
    const exit = await first.exited;
    t.equal(exit.signal, 'SIGKILL', 'killed with SIGKILL');
    t.ok(killedAt >= 3000, `killed after ${killedAt} acks`);
    t.comment(`${acks.length} acknowledged in all, ${failures} failed sends (in flight at the kill)`);
    t.notMatch(first.err(), /Unhandled|TypeError|RangeError/, 'no errors logged before the kill');

    // Restart on the same store directory and ports.
    const second = await startServer({ storeDir, extra, nsPort: Number(first.nsAddr.split(':')[1]), port: Number(first.brokerAddr.split(':')[1]) });
    t.teardown(() => second.stop());
    t.match(second.err(), /recovering from commit log offset \d+ \(after a crash\)/, 'recovery saw the crash');
    for (const topic of TOPICS) await admin.waitRoute(second, topic);

    const { byKey, maxOffsets, problems } = await readAll(t, admin, second);
    t.same(problems.slice(0, 20), [], 'every queue is contiguous from 0, every record intact, each offset served once');

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
      const n = 1_000_000 + i;
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
