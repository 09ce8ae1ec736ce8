// Starts a name server and a broker in this process on ephemeral 127.0.0.1 ports, plus ali-ons
// producers/consumers pointed at them. BROKER_TEST_STORE=memory swaps the real @rmq/store for the
// broker tests' in-memory store.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type Logger } from '../../packages/remoting/dist/index.js';
import { NamesrvController } from '../../packages/namesrv/dist/index.js';
import type { StoreConfig } from '../../packages/store/dist/index.js';
import { BrokerController } from '../../packages/broker/src/controller.js';
import { defaultBrokerConfig, type BrokerConfig } from '../../packages/broker/src/config.js';
import { newTopicConfig } from '../../packages/broker/src/topic/topic-config-manager.js';
import { MemoryStore } from '../../packages/broker/test/helpers/memory-store.js';
import { bounded, sleep, waitFor } from './wait.js';
import { closeOnsInnerProducer, FAST_TIMERS, heldQueues, httpclientStub, ons, quietOnsLogger } from './ons.js';

export { heldQueues, httpclientStub, ons, quietOnsLogger };

const quietLogger: Logger = process.env.BROKER_TEST_LOG ? console as unknown as Logger : silentLogger;

export interface Cluster {
  namesrv: NamesrvController;
  broker: BrokerController;
  nameSrv: string;
  dir: string;
  /** ali-ons clients made by newProducer/newConsumer, closed first on teardown. */
  clients: Array<{ close(): Promise<void> }>;
  restartBroker(over?: Partial<BrokerConfig>): Promise<BrokerController>;
  close(): Promise<void>;
}

async function storeConfigFor(dir: string): Promise<StoreConfig> {
  if (process.env.BROKER_TEST_STORE === 'memory') {
    return { storePathRootDir: dir, storeHost: { ip: '127.0.0.1', port: 0 }, maxMessageSize: 4 * 1024 * 1024 } as unknown as StoreConfig;
  }
  const { defaultStoreConfig } = await import('../../packages/store/dist/index.js');
  return defaultStoreConfig({ storePathRootDir: dir, mappedFileSizeCommitLog: 64 * 1024 * 1024, mappedFileSizeConsumeQueue: 30000 * 20 });
}

export async function startCluster(t: { teardown(fn: () => unknown): void }, over: Partial<BrokerConfig> = {}): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-e2e-'));
  const namesrv = new NamesrvController({ listenPort: 0, kvConfigPath: path.join(dir, 'kv.json'), listenHost: '127.0.0.1' } as never, { logger: quietLogger });
  await namesrv.start();
  const nameSrv = `127.0.0.1:${namesrv.port}`;
  const openStore = process.env.BROKER_TEST_STORE === 'memory' ? (c: StoreConfig) => MemoryStore.open(c) : undefined;
  let port = 0;
  const make = async (o: Partial<BrokerConfig>): Promise<BrokerController> => {
    const b = new BrokerController(defaultBrokerConfig({ listenPort: port, namesrvAddr: nameSrv, ...over, ...o }), await storeConfigFor(dir), { logger: quietLogger, openStore });
    await b.start();
    port = b.port;
    return b;
  };
  const cluster: Cluster = {
    namesrv, nameSrv, dir, clients: [],
    broker: await make({}),
    async restartBroker(o = {}) {
      await cluster.broker.shutdown();
      cluster.broker = await make(o);
      return cluster.broker;
    },
    async close() {
      const tc = Date.now();
      await closeClients(cluster, cluster.clients.splice(0));
      await closeOnsInnerProducer();
      const t0 = Date.now();
      await cluster.broker.shutdown().catch(() => undefined);
      const t1 = Date.now();
      await namesrv.shutdown().catch(() => undefined);
      if (process.env.BROKER_TEST_TIMING) console.log(`# inner+clients ${t0 - tc} broker ${t1 - t0} namesrv ${Date.now() - t1}`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  t.teardown(() => cluster.close());
  return cluster;
}

/**
 * Closes ali-ons clients. A consumer's close waits for its in-flight pulls, which the broker
 * holds up to 15 s: answer the held pulls so closing takes milliseconds.
 */
export async function closeClients(c: Cluster, clients: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const x of clients) {
    const i = c.clients.indexOf(x);
    if (i >= 0) c.clients.splice(i, 1);
  }
  const closing = Promise.all(clients.map((x) => bounded(x.close().catch(() => undefined), 5000)));
  const waker = setInterval(() => c.broker.pullRequestHoldService.wakeAll(), 100);
  try {
    await closing;
  } finally {
    clearInterval(waker);
  }
}

export function newProducer(c: Cluster, group: string): any {
  const p = new ons.Producer({ ...FAST_TIMERS, nameSrv: c.nameSrv, httpclient: httpclientStub, producerGroup: group, logger: quietOnsLogger });
  p.on('error', () => {});
  c.clients.push(p);
  return p;
}

export function newConsumer(c: Cluster, group: string, opts: Record<string, unknown> = {}): any {
  const cons = new ons.Consumer({ ...FAST_TIMERS, nameSrv: c.nameSrv, httpclient: httpclientStub, consumerGroup: group, logger: quietOnsLogger,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistent: false, ...opts });
  cons.on('error', () => {});
  c.clients.push(cons);
  return cons;
}

export { sleep, waitFor };

/** Creates a topic on the broker and re-registers (ali-ons never auto-creates topics). */
export async function createTopic(c: Cluster, topic: string, queueNums = 4, perm = 6): Promise<void> {
  c.broker.topicConfigManager.updateTopicConfig(newTopicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm }));
  await c.broker.registerBrokerAll(false);
}
