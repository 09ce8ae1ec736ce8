// The pull step push and lite-pull consumers share: where a queue starts (computePullFromWhere),
// the PULL_MESSAGE request for one queue, and the pull settings resolved once per consumer.
// The two consumers keep Apache's own defaults, which differ by consumer type (DefaultMQPushConsumer:
// pullBatchSize 32, brokerSuspendMaxTimeMillis 15 s; DefaultLitePullConsumer: 10 and 20 s); both wait
// 3 s after a failed pull (PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION / _ON_EXCEPTION) and 30 s for a
// suspended pull's reply. An OFFSET_ILLEGAL answer is handled as Apache does per type: the push
// consumer drops the queue and fixes the offset 10 s later, the lite-pull consumer moves on to
// nextBeginOffset.
import type { MessageQueue } from '../message.js';
import { mqKey } from '../message.js';
import { MixAll } from '../protocol.js';
import { MQClientError } from '../errors.js';
import type { ClientLogger } from '../logger.js';
import type { MQClientInstance } from '../instance/mq-client-instance.js';
import type { PullResult } from '../instance/mq-client-api.js';
import type { OffsetStore } from './offset-store.js';
import type { SubscriptionData } from './subscription.js';

/** Pause after a failed pull, after flow control, and while paused. */
export const PULL_DELAY_WHEN_EXCEPTION_MS = 3000;
export const PULL_DELAY_WHEN_FLOW_CONTROL_MS = 50;
export const PULL_DELAY_WHEN_PAUSE_MS = 1000;

export type ConsumeFromWhere = 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';

export interface PullSettings {
  /** maxMsgNums of one PULL_MESSAGE. */
  readonly batchSize: number;
  /** How long the broker may hold a pull that found nothing (suspendTimeoutMillis). */
  readonly brokerSuspendMaxTimeMs: number;
  /** How long the client waits for a suspended pull's reply. */
  readonly consumerTimeoutMsWhenSuspend: number;
}

export const PUSH_PULL_DEFAULTS: PullSettings = { batchSize: 32, brokerSuspendMaxTimeMs: 15_000, consumerTimeoutMsWhenSuspend: 30_000 };
export const LITE_PULL_DEFAULTS: PullSettings = { batchSize: 10, brokerSuspendMaxTimeMs: 20_000, consumerTimeoutMsWhenSuspend: 30_000 };

/** The consumer's pull options over the defaults of its type, resolved once (not in the pull loop). */
export function resolvePullSettings(
  o: { pullBatchSize?: number; brokerSuspendMaxTimeMs?: number; consumerTimeoutMsWhenSuspend?: number },
  defaults: PullSettings,
): PullSettings {
  return {
    batchSize: o.pullBatchSize ?? defaults.batchSize,
    brokerSuspendMaxTimeMs: o.brokerSuspendMaxTimeMs ?? defaults.brokerSuspendMaxTimeMs,
    consumerTimeoutMsWhenSuspend: o.consumerTimeoutMsWhenSuspend ?? defaults.consumerTimeoutMsWhenSuspend,
  };
}

/** "yyyyMMddHHmmss" (local time, as the Java client parses it), Date or epoch ms -> epoch ms. */
export function parseConsumeTimestamp(v: string | number | Date | undefined): number {
  if (v === undefined) return Date.now() - 30 * 60_000;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (!m) throw new MQClientError(`consumeTimestamp ${v} is not yyyyMMddHHmmss`);
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
}

export interface PullFromWhereHost {
  readonly instance: MQClientInstance;
  readonly offsetStore: OffsetStore;
  readonly log: ClientLogger;
  readonly consumeFromWhere: ConsumeFromWhere;
  readonly consumeTimestamp?: string | number | Date;
}

/**
 * Apache's RebalancePushImpl/RebalanceLitePullImpl computePullFromWhere: the stored offset when
 * there is one; else by consumeFromWhere (first: 0; last: the queue's max offset, 0 for a retry
 * topic; timestamp: searchOffset, the max offset for a retry topic). -1 when it cannot be known now
 * (the caller retries later).
 */
export async function computePullFromWhere(host: PullFromWhereHost, mq: MessageQueue): Promise<number> {
  const last = await host.offsetStore.readOffset(mq, 'STORE');
  if (last >= 0) return last;
  if (last !== -1) return -1;
  const isRetry = mq.topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX);
  const { instance } = host;
  const brokerOffset = async (f: (addr: string) => Promise<number>): Promise<number> => {
    const found = instance.findBrokerAddressInSubscribe(mq.brokerName, MixAll.MASTER_ID, false);
    if (!found) return -1;
    try {
      return await f(found.addr);
    } catch (e) {
      host.log.warn(`offset of ${mqKey(mq)}: ${(e as Error).message}`);
      return -1;
    }
  };
  const maxOffset = (addr: string): Promise<number> => instance.api.getMaxOffset(addr, mq, instance.apiTimeoutMs);
  switch (host.consumeFromWhere) {
    case 'CONSUME_FROM_FIRST_OFFSET':
      return 0;
    case 'CONSUME_FROM_LAST_OFFSET':
      return isRetry ? 0 : brokerOffset(maxOffset);
    case 'CONSUME_FROM_TIMESTAMP': {
      if (isRetry) return brokerOffset(maxOffset);
      const ts = parseConsumeTimestamp(host.consumeTimestamp);
      return brokerOffset((addr) => instance.api.searchOffset(addr, mq, ts, instance.apiTimeoutMs));
    }
  }
}

/** One PULL_MESSAGE for `mq` from `offset`. */
export function pullQueue(
  instance: MQClientInstance, addr: string, group: string, mq: MessageQueue, offset: number, sd: SubscriptionData,
  settings: PullSettings, f: { sysFlag: number; commitOffset: number; withSubscription: boolean }, signal?: AbortSignal,
): Promise<PullResult> {
  return instance.api.pullMessage(addr, {
    consumerGroup: group, topic: mq.topic, queueId: mq.queueId, queueOffset: offset,
    maxMsgNums: settings.batchSize, sysFlag: f.sysFlag, commitOffset: Math.max(0, f.commitOffset),
    suspendTimeoutMillis: settings.brokerSuspendMaxTimeMs,
    ...(f.withSubscription ? { subscription: sd.subString } : {}), subVersion: sd.subVersion, expressionType: sd.expressionType,
    brokerName: mq.brokerName,
  }, settings.consumerTimeoutMsWhenSuspend, signal);
}
