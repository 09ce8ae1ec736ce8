// Fault suite, kill -9: a SYNC_FLUSH `mq-server standalone` under load (64 sends in flight, 2 topics x
// 4 queues) is SIGKILLed at a random moment (after a random number of acks plus a random delay), then
// restarted on the same store, FAULT_ROUNDS times (5 here; `node test/fault-run.mjs` runs 20). After
// every restart: every acknowledged message is at the offset its ack named with its body, no queue
// offset is missing, doubled or corrupt, and the index (rebuilt by recovery) finds sampled keys.
import crypto from 'node:crypto';
import fs from 'node:fs';
import t from 'tap';
import { decodeMessages, type DecodedMessage } from '../packages/remoting/dist/index.js';
import { Admin, sleep, startServer, tmpDir } from './helpers/mq-process.js';
import { checkBody, load, readAll, TOPICS, QUEUES, type Ack } from './helpers/mq-load.js';

const ROUNDS = Number(process.env['FAULT_ROUNDS'] ?? 5);
const seed = Number(process.env['FAULT_SEED'] ?? crypto.randomInt(1, 2 ** 31));
let state = seed;
const rand = (n: number): number => { state = (state * 1103515245 + 12345) % 2 ** 31; return state % n; };

t.test(`SYNC_FLUSH: ${ROUNDS} rounds of kill -9 at random moments`, async (t) => {
  t.comment(`seed ${seed} (FAULT_SEED=${seed} repeats these kill points)`);
  const storeDir = tmpDir('fault-kill9');
  t.teardown(() => fs.rmSync(storeDir, { recursive: true, force: true }));
  const admin = new Admin();
  t.teardown(() => admin.close());
  // haListenPort=0: the HA listener on any free port (listenPort + 1 may be some client's ephemeral port).
  const extra = ['--flushDiskType=SYNC_FLUSH', '--haListenPort=0'];
  let server = await startServer({ storeDir, extra });
  t.teardown(() => server.kill());
  for (const topic of TOPICS) await admin.createTopic(server, topic, QUEUES);
  const acks: Ack[] = [];
  let survived = 0;
  let checked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const crashed = server;
    const killAfter = 100 + rand(1500);
    const delayMs = rand(250);
    const r = await load(crashed, killAfter, `fault_kill9_${round}`, 'SIGKILL', () => sleep(delayMs), round * 1_000_000); // a random delay before the kill (the thing under test)
    acks.push(...r.acks);
    const exit = await crashed.exited;
    t.equal(exit.signal, 'SIGKILL', `round ${round}: SIGKILL after ${r.killedAt} acks + ${delayMs} ms (${r.acks.length} acked, ${r.failures} failed in flight)`);
    // Fresh ports: the old ones (and port + 1 of the HA listener) may be taken meanwhile; message ids
    // keep the store host they were written with. One retry if a picked port got taken.
    server = await startServer({ storeDir, extra }).catch(() => startServer({ storeDir, extra }));
    for (const topic of TOPICS) await admin.waitRoute(server, topic);
    const read = await readAll(t, admin, server);
    t.same(read.problems.slice(0, 20), [], `round ${round}: queues contiguous from 0, records intact, each offset served once`);
    let missing = 0, wrong = 0;
    for (const a of acks) {
      const m: DecodedMessage | undefined = read.byKey.get(`${a.topic}/${a.queueId}/${a.queueOffset}`);
      if (!m) { missing++; continue; }
      if (checkBody(m.body) !== a.seq || m.msgId !== a.msgId) wrong++;
    }
    t.equal(missing, 0, `round ${round}: all ${acks.length} acknowledged messages present`);
    t.equal(wrong, 0, `round ${round}: each at the offset its ack named, intact`);
    // The index: QUERY_MESSAGE by key finds sampled acknowledged messages after recovery.
    let notIndexed = 0;
    for (let i = 0; i < 10 && acks.length > 0; i++) {
      const a = acks[rand(acks.length)]!;
      const q = await admin.call(server.brokerAddr, 12, { topic: a.topic, key: `k${a.seq}`, maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() + 60_000 });
      const found = q.code === 0 && q.bodyBuffer() !== null && decodeMessages(q.bodyBuffer()!).some((m) => checkBody(m.body) === a.seq);
      if (!found) notIndexed++;
    }
    t.equal(notIndexed, 0, `round ${round}: sampled keys found through the index`);
    checked = read.byKey.size;
    if (missing === 0 && wrong === 0 && read.problems.length === 0 && notIndexed === 0) survived++;
  }
  t.comment(`FAULT-KILL9 rounds survived ${survived}/${ROUNDS}, acknowledged ${acks.length}, records checked ${checked}`);
  const stopped = await server.stop();
  t.equal(stopped.code, 0, 'clean exit at the end');
});
