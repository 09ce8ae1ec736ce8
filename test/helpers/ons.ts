// ali-ons (the npm RocketMQ client) for the tests: the module, an httpclient stub (no HTTP name
// server lookup), a quiet logger (BROKER_TEST_LOG or HA_TEST_CLIENT_LOG: console), short task
// intervals, and the close of its process-wide inner producer.
import { createRequire } from 'node:module';
import { bounded } from './wait.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ons: any = require('ali-ons');

// ali-ons shares one MQClient per clientId across producers and consumers; one left running by a
// closing client (its scheduled route/heartbeat tasks) after a test stopped the broker emits
// ECONNREFUSED as an 'error' event with no listener, which would end the whole test process. Give
// every MQClient a listener that logs (with BROKER_TEST_LOG) instead.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MQClient: any = require('ali-ons/lib/mq_client');
const createMQClient = MQClient.getAndCreateMQClient;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
MQClient.getAndCreateMQClient = function (config: unknown): any {
  const instance = createMQClient.call(this, config);
  if (!instance.__testErrorListener) {
    instance.__testErrorListener = true;
    instance.on('error', (err: Error) => { if (process.env['BROKER_TEST_LOG']) console.log(`# ali-ons MQClient: ${err.message}`); });
  }
  return instance;
};

export const httpclientStub = { request: async () => { throw new Error('no http in tests'); } };

const noop = (): void => {};
export const quietOnsLogger = process.env['BROKER_TEST_LOG'] || process.env['HA_TEST_CLIENT_LOG'] ? console : { info: noop, warn: noop, error: noop, debug: noop };

/**
 * ali-ons timers (30 s route poll and heartbeat by default): short, so routes created by the
 * first heartbeat (%RETRY%) show up at once and no 30 s sleep keeps the test process alive.
 */
export const FAST_TIMERS = { pollNameServerInteval: 1000, heartbeatBrokerInterval: 1000, rebalanceInterval: 1000, persistConsumerOffsetInterval: 1000 };

/** ali-ons keeps a process-wide inner producer (its send-back fallback) with timers of its own: close it. */
export async function closeOnsInnerProducer(): Promise<void> {
  const inner = ons.Producer.defaultProducer;
  if (!inner) return;
  ons.Producer.defaultProducer = null;
  await bounded(inner.close().catch(noop), 3000);
}

/** The queue ids of a topic an ali-ons consumer holds after its last rebalance (its process queue table). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function heldQueues(consumer: any, topic: string): number[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return [...consumer.processQueueTable.values()].map((e: any) => e.messageQueue)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .filter((q: any) => q.topic === topic).map((q: any) => q.queueId as number).sort((a: number, b: number) => a - b);
}
