// SYNC_MASTER with real processes: broker-a master (SYNC_MASTER) and its slave. Our producer keeps 32
// sends in flight; the master is SIGKILLed mid-load. At that moment every acknowledged message must
// already be in the slave's commit log, byte for byte at the offset its offset message id names (the
// slave only acknowledges what its own flush handed to the OS, so the files are read directly).
// Then with the slave gone too, a restarted master answers sends with SLAVE_NOT_AVAILABLE (11), and
// the message is still stored (the reply carries its queue offset).
import t from 'tap';
import { Producer } from '../packages/client/src/index.js';
import { decodeRecord } from '../packages/store/dist/index.js';
import { commitLogFiles, startCluster, waitFor, type Admin, type Proc } from './helpers/mq-process.js';

const FILE = 1024 * 1024;
const TOPIC = 'HaSyncTopic';

const rawSend = (admin: Admin, p: Proc, body: string) => admin.call(p.addr, 310, {
  a: 'ha_sync_producer', b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false,
}, Buffer.from(body));

t.test('SYNC_MASTER: every acknowledged message is on the slave when the master dies', async (t) => {
  const c = await startCluster(t, {
    namesrvs: 1,
    topics: [TOPIC],
    brokerExtra: [`--mappedFileSizeCommitLog=${FILE}`],
    brokers: [
      { key: 'a-master', brokerName: 'broker-a', brokerId: 0, role: 'SYNC_MASTER' },
      { key: 'a-slave', brokerName: 'broker-a', brokerId: 1, role: 'SLAVE' },
    ],
  });
  const admin = c.admin;
  const master = c.broker('a-master');
  const slave = c.broker('a-slave');
  t.equal((await c.routed(TOPIC)).brokerDatas[0]?.brokerAddrs['0'], master.addr, 'topic created and routed to the master');
  await waitFor(async () => (await c.runtime(master)).haConnectionCount === '1', 30000, 'the slave to connect');
  const first = await rawSend(admin, master, 'first');
  t.equal(first.code, 0, 'a send with the slave in sync succeeds');

  const producer = new Producer({ groupName: 'ha_sync_producer', namesrvAddr: c.nsAddr, retryTimesWhenSendFailed: 0 });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const acks: { offset: number; body: string }[] = [];
  let other = 0;
  let failures = 0;
  let killed = false;
  const pad = 'y'.repeat(700);
  let seq = 0;
  const worker = async () => {
    while (!killed) {
      const n = seq++;
      const body = `sync-${n}-${pad}`;
      try {
        const res = await producer.send({ topic: TOPIC, body: Buffer.from(body) });
        if (res.status === 'SEND_OK') acks.push({ offset: parseInt(res.offsetMsgId.slice(16), 16), body });
        else other++;
      } catch {
        failures++;
        if (killed) return;
      }
      if (!killed && acks.length >= 3000) {
        killed = true;
        void c.kill(master);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await master.exited;
  t.ok(acks.length >= 3000, `${acks.length} acknowledged, ${other} not SEND_OK, ${failures} failed`);

  // read the slave's files now, with the master dead
  const files = commitLogFiles(slave.storeDir);
  let missing = 0;
  const examples: string[] = [];
  for (const a of acks) {
    const name = String(a.offset - (a.offset % FILE)).padStart(20, '0');
    const f = files.get(name);
    let ok = false;
    if (f !== undefined) {
      try {
        const rec = decodeRecord(f, a.offset % FILE);
        ok = rec.commitLogOffset === a.offset && rec.body.toString() === a.body && rec.topic === TOPIC;
      } catch { ok = false; }
    }
    if (!ok) { missing++; if (examples.length < 5) examples.push(`${a.offset}`); }
  }
  t.equal(missing, 0, `every acknowledged message is in the slave's commit log (missing at ${examples.join(', ')})`);

  // no slave: SLAVE_NOT_AVAILABLE, and the message is stored
  await c.kill(slave, 'SIGKILL');
  await c.restart(master);
  const lone = await rawSend(admin, master, 'alone');
  t.equal(lone.code, 11, 'SYNC_MASTER without a slave answers SLAVE_NOT_AVAILABLE');
  t.ok(Number(lone.extFields?.queueOffset) >= 0, 'and still names the stored message\'s queue offset');
});
