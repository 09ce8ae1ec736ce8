// Master/slave replication with real processes: a name server, broker-a master (ASYNC_MASTER) and a
// slave started empty once the master holds several 1 MiB commit log files. The slave learns the
// master's HA address from the REGISTER_BROKER result, starts at the master's current file (as
// Apache's master sends an empty slave), and its commit log files are byte-identical to the
// master's. Then the slave is stopped, the master writes several more files, the slave is started
// again and catches up across them. Pulls from the slave return the same records as the master.
import fs from 'node:fs';
import t from 'tap';
import { Producer } from '../packages/client/src/index.js';
import { decodeMessages } from '../packages/remoting/dist/index.js';
import { commitLogFiles, startCluster, waitFor } from './helpers/mq-process.js';

const FILE = 1024 * 1024;
const TOPIC = 'HaReplTopic';

/** Sends n messages of ~1 KiB; returns the acknowledged (queueId, queueOffset, msgId). */
async function produce(p: Producer, n: number, tag: string): Promise<{ queueId: number; queueOffset: number; body: string }[]> {
  const acks: { queueId: number; queueOffset: number; body: string }[] = [];
  const pad = 'x'.repeat(900);
  for (let i = 0; i < n; i += 16) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, n - i) }, async (_, j) => {
      const body = `${tag}-${i + j}-${pad}`;
      const r = await p.send({ topic: TOPIC, body: Buffer.from(body) });
      return { queueId: r.queue.queueId, queueOffset: r.queueOffset, body, status: r.status };
    }));
    for (const b of batch) if (b.status === 'SEND_OK') acks.push(b);
  }
  return acks;
}

function compareFiles(t: { fail(m: string): void }, masterDir: string, slaveDir: string, what: string): number {
  const m = commitLogFiles(masterDir);
  const s = commitLogFiles(slaveDir);
  let same = 0;
  for (const [name, bytes] of s) {
    const mb = m.get(name);
    if (mb === undefined) { t.fail(`${what}: slave file ${name} missing on the master`); continue; }
    if (Buffer.compare(mb, bytes) === 0) same++;
    else {
      let i = 0;
      while (i < bytes.length && bytes[i] === mb[i]) i++;
      t.fail(`${what}: commit log file ${name} differs from byte ${i}: master ${mb.subarray(i, i + 16).toString('hex')} slave ${bytes.subarray(i, i + 16).toString('hex')}`);
    }
  }
  return same;
}

t.test('an empty slave catches up with a master holding several files, byte for byte', async (t) => {
  const c = await startCluster(t, {
    namesrvs: 1,
    topics: [TOPIC],
    brokerExtra: [`--mappedFileSizeCommitLog=${FILE}`],
    brokers: [
      { key: 'a-master', brokerName: 'broker-a', brokerId: 0, role: 'ASYNC_MASTER' },
      { key: 'a-slave', brokerName: 'broker-a', brokerId: 1, role: 'SLAVE', start: false, extra: ['--slaveSyncIntervalMs=1000'] },
    ],
  });
  const admin = c.admin;
  const master = c.broker('a-master');
  const slave = c.broker('a-slave');
  t.equal((await c.routed(TOPIC)).brokerDatas[0]?.brokerAddrs['0'], master.addr, 'topic created and routed to the master');
  const producer = new Producer({ groupName: 'ha_repl_producer', namesrvAddr: c.nsAddr });
  await producer.start();
  t.teardown(() => producer.shutdown());

  const first = await produce(producer, 3500, 'one');
  t.equal(first.length, 3500, 'every send acknowledged');
  const mFiles = [...commitLogFiles(master.storeDir).keys()];
  t.ok(mFiles.length >= 4, `master holds ${mFiles.length} commit log files`);
  const masterMax = Number((await c.runtime(master)).commitLogMaxOffset);

  await c.restart(slave);
  await waitFor(async () => Number((await c.runtime(slave)).commitLogCommittedOffset) >= masterMax, 60000, 'slave to catch up');
  const sFiles = [...commitLogFiles(slave.storeDir).keys()];
  t.equal(sFiles[0], String(masterMax - (masterMax % FILE)).padStart(20, '0'), 'the empty slave starts at the master\'s current file');
  t.ok(compareFiles(t, master.storeDir, slave.storeDir, 'after catch-up') >= 1, 'slave files identical');

  // more data across another file boundary, replicated as it comes
  const second = await produce(producer, 1500, 'two');
  t.equal(second.length, 1500);
  const max2 = Number((await c.runtime(master)).commitLogMaxOffset);
  await waitFor(async () => Number((await c.runtime(slave)).commitLogCommittedOffset) >= max2, 60000, 'slave to follow');
  t.ok(compareFiles(t, master.storeDir, slave.storeDir, 'following') >= 2, 'several slave files, each identical');

  // pulls from the slave serve the same records as the master
  const probe = second[second.length - 1]!;
  const pull = (addr: string) => admin.call(addr, 11, {
    consumerGroup: 'ha_repl_reader', topic: TOPIC, queueId: probe.queueId, queueOffset: probe.queueOffset, maxMsgNums: 1, sysFlag: 4,
    commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: Date.now(), expressionType: 'TAG',
  });
  let fromSlave = await pull(slave.addr);
  await waitFor(async () => { fromSlave = await pull(slave.addr); return fromSlave.code === 0; }, 30000, 'the slave to serve the pull');
  const fromMaster = await pull(master.addr);
  t.equal(fromMaster.code, 0);
  const ms = decodeMessages(fromSlave.bodyBuffer()!);
  const mm = decodeMessages(fromMaster.bodyBuffer()!);
  t.equal(ms[0]!.body.toString(), probe.body, 'the slave serves the acknowledged body');
  t.equal(ms[0]!.msgId, mm[0]!.msgId, 'same offset message id on both');
  t.equal(fromSlave.extFields?.suggestWhichBrokerId, '0', 'the slave suggests the master (slaveReadEnable=false)');

  // sends to the slave are refused
  const sendToSlave = await admin.call(slave.addr, 310, {
    a: 'ha_repl_producer', b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false,
  }, Buffer.from('x'));
  t.equal(sendToSlave.code, 14, 'a send to the slave gets SERVICE_NOT_AVAILABLE');

  // stop the slave, write several more files, start it again: it catches up from its offset
  await c.kill(slave, 'SIGTERM');
  const third = await produce(producer, 3500, 'three');
  t.equal(third.length, 3500);
  const max3 = Number((await c.runtime(master)).commitLogMaxOffset);
  await c.restart(slave);
  await waitFor(async () => Number((await c.runtime(slave)).commitLogCommittedOffset) >= max3, 60000, 'restarted slave to catch up');
  const n = compareFiles(t, master.storeDir, slave.storeDir, 'after restart');
  t.ok(n >= 5, `${n} slave commit log files, each byte-identical to the master's`);
  const info = await c.runtime(master);
  t.equal(info.haConnectionCount, '1', 'master sees one slave');
  t.ok(fs.existsSync(`${slave.storeDir}/config/topics.json`), 'slave persisted the synced topic config');
  await waitFor(() => fs.readFileSync(`${slave.storeDir}/config/topics.json`, 'utf8').includes(TOPIC), 30000, 'topic config synced to the slave');
});
