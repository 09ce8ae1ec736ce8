// Failover scenario (ha-failover*.test.ts) with real processes: two name servers, broker-a master + slave, broker-b master.
//  1. One name server is SIGKILLed: sends and consumption go on (clients and brokers use the other).
//  2. Under produce + consume load the broker-a master is SIGKILLed while the consumer holds back
//     (flow control keeps the rest of broker-a's queues on the broker): producers move to broker-b;
//     the consumer reads broker-a's remaining messages from the slave (the slave's served-message
//     count grows) and commits offsets there.
//  3. The master restarts on its store; the slave catches up with it; new sends reach broker-a again.
// Every acknowledged message is consumed; duplicates (at-least-once) are counted and reported.
// Run with our client and with ali-ons.
import type { Test } from 'tap';
import { Producer, PushConsumer } from '../../packages/client/src/index.js';
import { sleep, startCluster, waitFor, type Cluster, type Proc } from './mq-process.js';
import { bounded } from './wait.js';
import { closeOnsInnerProducer, FAST_TIMERS as FAST, httpclientStub as httpclient, ons, quietOnsLogger as quiet } from './ons.js';

interface Client {
  send(body: string): Promise<{ ok: boolean; brokerName: string }>;
  close(): Promise<void>;
}

interface Harness {
  producer: Client;
  startConsumer(onBody: (body: string) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

function oursHarness(c: Cluster, topic: string, tag: string): Harness {
  const opts = { namesrvAddr: c.nsAddr, pollNameServerIntervalMs: 1000, heartbeatBrokerIntervalMs: 1000, persistConsumerOffsetIntervalMs: 1000 };
  const producer = new Producer({ ...opts, groupName: `ha_fo_p_${tag}`, sendLatencyFaultEnable: false, instanceName: `ha-fo-p-${tag}-${process.pid}` });
  let consumer: PushConsumer | null = null;
  let started = false;
  return {
    producer: {
      async send(body) {
        if (!started) { await producer.start(); started = true; }
        const r = await producer.send({ topic, body: Buffer.from(body) });
        return { ok: r.status === 'SEND_OK', brokerName: r.queue.brokerName };
      },
      close: () => producer.shutdown(),
    },
    async startConsumer(onBody) {
      consumer = new PushConsumer({ ...opts, groupName: `ha_fo_c_${tag}`, instanceName: `ha-fo-c-${tag}-${process.pid}`,
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pullThresholdForQueue: 8, consumeConcurrency: 4, pullBatchSize: 4 });
      consumer.subscribe(topic, '*').onMessage(async (m) => { await onBody(m.body.toString()); });
      await consumer.start();
    },
    async close() {
      if (consumer) await bounded(consumer.shutdown(), 8000);
      if (started) await bounded(producer.shutdown(), 5000);
    },
  };
}

const noop = (): void => {};

function onsHarness(c: Cluster, topic: string, tag: string): Harness {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let producer: any = null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let consumer: any = null;
  return {
    producer: {
      async send(body) {
        if (producer === null) {
          producer = new ons.Producer({ ...FAST, nameSrv: c.nsAddr.split(';'), httpclient, producerGroup: `ha_fo_p_${tag}`, logger: quiet });
          producer.on('error', noop);
          await producer.ready();
        }
        const r = await producer.send(new ons.Message(topic, 'TagA', body));
        return { ok: r.sendStatus === 'SEND_OK', brokerName: r.messageQueue.brokerName };
      },
      close: async () => { if (producer) await producer.close(); },
    },
    async startConsumer(onBody) {
      consumer = new ons.Consumer({ ...FAST, nameSrv: c.nsAddr.split(';'), httpclient, consumerGroup: `ha_fo_c_${tag}`, logger: quiet,
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistent: false, pullThresholdForQueue: 8, pullBatchSize: 4, parallelConsumeLimit: 4 });
      consumer.on('error', noop);
      consumer.subscribe(topic, '*', async (msg: { body: Buffer }) => { await onBody(msg.body.toString()); });
      await consumer.ready();
    },
    async close() {
      if (consumer) await bounded(consumer.close().catch(noop), 8000);
      if (producer) await bounded(producer.close().catch(noop), 5000);
      await closeOnsInnerProducer();
    },
  };
}

export async function runFailover(t: Test, name: 'our client' | 'ali-ons'): Promise<void> {
  const make = name === 'ali-ons' ? onsHarness : oursHarness;
  {
    const tag = name === 'ali-ons' ? 'ons' : 'ours';
    const topic = `HaFailover_${tag}`;
    const c = await startCluster(t, {
      namesrvs: 2,
      topics: [topic],
      brokerExtra: ['--mappedFileSizeCommitLog=4194304'],
      brokers: [
        { key: 'a-master', brokerName: 'broker-a', brokerId: 0, role: 'ASYNC_MASTER' },
        { key: 'a-slave', brokerName: 'broker-a', brokerId: 1, role: 'SLAVE', extra: ['--slaveSyncIntervalMs=1000'] },
        { key: 'b-master', brokerName: 'broker-b', brokerId: 0, role: 'ASYNC_MASTER' },
      ],
    });
    const admin = c.admin;
    const aMaster = c.broker('a-master');
    const aSlave = c.broker('a-slave');
    // both groups (broker-a with its slave) routed by both name servers
    const route = await c.routed(topic);
    for (const brokerName of ['broker-a', 'broker-b']) {
      t.ok(route.queueDatas.some((q) => q.brokerName === brokerName && q.writeQueueNums === 4), `topic created on ${brokerName}'s master`);
    }

    const log = (m: string) => { if (process.env['HA_TEST_LOG']) console.error(`# ${new Date().toISOString()} ${m}`); };
    const h = make(c, topic, tag);
    t.teardown(() => h.close());
    const acked = new Map<string, string>(); // body -> broker
    const delivered = new Map<string, number>();
    let seq = 0;
    let sendFailures = 0;
    let hold = true;
    let release: () => void = noop;
    const gate = new Promise<void>((r) => { release = r; });
    log('starting consumer');
    await h.startConsumer(async (body) => {
      delivered.set(body, (delivered.get(body) ?? 0) + 1);
      if (hold) await gate;
    });
    const sendSome = async (n: number, phase: string): Promise<string[]> => {
      const brokers: string[] = [];
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = seq++;
          if (brokers.length >= n) return;
          const body = `${tag}-${phase}-${i}`;
          try {
            const r = await h.producer.send(body);
            if (r.ok) { acked.set(body, r.brokerName); brokers.push(r.brokerName); } else sendFailures++;
          } catch { sendFailures++; await sleep(50); } // a pause before the next try: no busy loop on a dead broker
        }
      }));
      return brokers;
    };

    log('consumer started');
    // 1. one name server dies: nothing notices
    await c.kill(c.namesrvs[0]!);
    const afterNs = await sendSome(400, 'ns');
    t.ok(afterNs.includes('broker-a') && afterNs.includes('broker-b'), 'sends reach both groups with one name server');

    log(`ns phase done, ${acked.size} acked`);
    // 2. kill -9 the broker-a master while the consumer holds back
    const slaveGetsBefore = Number((await c.runtime(aSlave)).msgGetTotalTodayNow);
    // ASYNC_MASTER: what the slave has not received yet is unavailable until the master is back, so
    // let it catch up first (the restart phase checks that nothing acknowledged is lost either way)
    const masterEnd = Number((await c.runtime(aMaster)).commitLogCommittedOffset);
    await waitFor(async () => Number((await c.runtime(aSlave)).commitLogCommittedOffset) >= masterEnd, 30000, 'the slave to catch up');
    // the slave serves a topic once its metadata sync (every slaveSyncIntervalMs) copied it
    await waitFor(async () => (await admin.call(aSlave.addr, 21, {}, null, 3000)).bodyBuffer()!.toString().includes(`"${topic}"`), 30000,
      'the slave to have the topic config');
    await c.kill(aMaster);
    hold = false;
    release();
    const after = await sendSome(600, 'down');
    const lastHalf = after.slice(300);
    t.ok(lastHalf.every((b) => b === 'broker-b'), 'with broker-a\'s master gone, producers send to broker-b');
    try {
      await waitFor(() => [...acked.keys()].every((b) => delivered.has(b)), 90000, 'every acknowledged message to be consumed with the master down');
    } catch (e) {
      const missing = [...acked.entries()].filter(([b]) => !delivered.has(b));
      t.comment(`${missing.length} not consumed, e.g. ${missing.slice(0, 8).map(([b, br]) => `${b}@${br}`).join(' ')}`);
      throw e;
    }
    const slaveGets = Number((await c.runtime(aSlave)).msgGetTotalTodayNow) - slaveGetsBefore;
    t.ok(slaveGets > 0, `the slave served ${slaveGets} messages of broker-a's queues`);
    // committed offset vs max offset of each broker-a queue on one broker
    const group = `ha_fo_c_${tag}`;
    const offsetsAt = async (p: Proc): Promise<[number, number][]> => Promise.all([0, 1, 2, 3].map(async (q) => {
      const o = await admin.call(p.addr, 14, { consumerGroup: group, topic, queueId: q }, null, 3000);
      const m = await admin.call(p.addr, 30, { topic, queueId: q }, null, 3000);
      return [o.code === 0 ? Number(o.extFields?.offset) : -1, Number(m.extFields?.offset)] as [number, number];
    }));
    await waitFor(async () => (await offsetsAt(aSlave)).every(([o, max]) => o === max && max > 0), 30000,
      'the consumer to commit broker-a offsets to the slave');
    t.pass('with the master down, the consumer committed broker-a\'s offsets to the slave');

    // 3. the master comes back; the slave catches up; broker-a takes sends again
    await c.restart(aMaster);
    await waitFor(async () => {
      const [m, s] = await Promise.all([c.runtime(aMaster), c.runtime(aSlave)]);
      return m.commitLogMaxOffset === s.commitLogMaxOffset && s.haClientConnected === 'true';
    }, 60000, 'the slave to catch up with the restarted master');
    let backToA = false;
    const deadline = Date.now() + 60000;
    while (!backToA && Date.now() < deadline) backToA = (await sendSome(100, 'back')).includes('broker-a');
    t.ok(backToA, 'broker-a takes sends again after the restart (route refreshed)');
    await waitFor(() => [...acked.keys()].every((b) => delivered.has(b)), 90000, 'every acknowledged message to be consumed');
    await waitFor(async () => (await offsetsAt(aMaster)).every(([o, max]) => o === max && max > 0), 30000,
      'the consumer offsets to reach the restarted master');
    t.pass('after the restart the group\'s offsets are on the master again');
    let dups = 0;
    for (const n of delivered.values()) if (n > 1) dups += n - 1;
    t.equal([...acked.keys()].filter((b) => !delivered.has(b)).length, 0, `nothing acknowledged lost (${acked.size} acked)`);
    t.comment(`${name}: ${acked.size} acknowledged, ${delivered.size} distinct delivered, ${dups} duplicate deliveries, ${sendFailures} failed sends`);
  }
}
