// Broker configuration: the keys a RocketMQ 4.x broker.conf uses for the parts this broker
// implements, with Apache's defaults. `mq-server` maps `key=value` onto this object by the
// default's type, so every key here has a concrete (non-undefined) default.

export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';

export interface BrokerConfig {
  brokerName: string;
  brokerClusterName: string;
  brokerId: number;
  /** Address published in routes and stored in message ids. */
  brokerIP1: string;
  brokerIP2: string;
  listenPort: number;
  /** "host:port;host:port"; empty = do not register. */
  namesrvAddr: string;
  brokerRole: BrokerRole;
  /** PermName bits of the whole broker: 2 write, 4 read. */
  brokerPermission: number;
  autoCreateTopicEnable: boolean;
  autoCreateSubscriptionGroup: boolean;
  defaultTopicQueueNums: number;
  clusterTopicEnable: boolean;
  brokerTopicEnable: boolean;
  traceTopicEnable: boolean;
  msgTraceTopicName: string;
  enablePropertyFilter: boolean;
  maxMessageSize: number;
  longPollingEnable: boolean;
  shortPollingTimeMills: number;
  /** Bound on pull requests held by long polling, all queues together. */
  maxHeldPullRequests: number;
  registerBrokerIntervalMs: number;
  registerBrokerTimeoutMills: number;
  adminHttpPort: number;
  /** Admin actions of the dashboard (create/delete/reset/send) need this token; empty = read-only dashboard. */
  adminHttpToken: string;
  messageDelayLevel: string;
  /** retryMaxTimes of auto-created subscription groups. */
  maxReconsumeTimes: number;
  flushConsumerOffsetIntervalMs: number;
  channelExpiredTimeoutMs: number;
  rebalanceLockMaxLiveTimeMs: number;
  regionId: string;
  traceOn: boolean;
  rejectTransactionMessage: boolean;
  /** A half message older than this is checked back with its producer (39). */
  transactionTimeOut: number;
  /** Checks per half message before it is discarded. */
  transactionCheckMax: number;
  transactionCheckInterval: number;
  /** Also store request-reply replies in the reply topic. */
  storeReplyMessageEnable: boolean;
  /** Bytes of stored messages one pull reply may carry. */
  maxTransferBytesOnMessageInMemory: number;
  maxTransferCountOnMessageInMemory: number;
}

export function defaultBrokerConfig(over: Partial<BrokerConfig> = {}): BrokerConfig {
  const c: BrokerConfig = {
    brokerName: 'broker-a',
    brokerClusterName: 'DefaultCluster',
    brokerId: 0,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    listenPort: 10911,
    namesrvAddr: process.env.NAMESRV_ADDR ?? '',
    brokerRole: 'ASYNC_MASTER',
    brokerPermission: 6,
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    defaultTopicQueueNums: 4,
    clusterTopicEnable: true,
    brokerTopicEnable: true,
    traceTopicEnable: false,
    msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
    enablePropertyFilter: true,
    maxMessageSize: 4 * 1024 * 1024,
    longPollingEnable: true,
    shortPollingTimeMills: 1000,
    maxHeldPullRequests: 100_000,
    registerBrokerIntervalMs: 30_000,
    registerBrokerTimeoutMills: 6_000,
    adminHttpPort: 0,
    adminHttpToken: '',
    messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
    maxReconsumeTimes: 16,
    flushConsumerOffsetIntervalMs: 5_000,
    channelExpiredTimeoutMs: 120_000,
    rebalanceLockMaxLiveTimeMs: 60_000,
    regionId: 'DefaultRegion',
    traceOn: true,
    rejectTransactionMessage: false,
    transactionTimeOut: 6_000,
    transactionCheckMax: 15,
    transactionCheckInterval: 60_000,
    storeReplyMessageEnable: true,
    maxTransferBytesOnMessageInMemory: 256 * 1024,
    maxTransferCountOnMessageInMemory: 32,
  };
  return Object.assign(c, over);
}

export const brokerConfigHelp: Record<string, string> = {
  brokerName: 'name of this broker (master and slaves share it), default broker-a',
  brokerClusterName: 'cluster the broker registers under, default DefaultCluster',
  brokerId: '0 = master, > 0 = slave',
  brokerIP1: 'IP published in topic routes and message ids, default 127.0.0.1',
  brokerIP2: 'IP used for HA (master address seen by slaves), default 127.0.0.1',
  listenPort: 'remoting listen port, default 10911 (0 = ephemeral)',
  namesrvAddr: 'name servers, "host:port;host:port" (default env NAMESRV_ADDR)',
  brokerRole: 'ASYNC_MASTER | SYNC_MASTER | SLAVE',
  brokerPermission: 'broker permission bits: 2 write, 4 read (6 = read+write)',
  autoCreateTopicEnable: 'create unknown topics on send from the TBW102 template, default true',
  autoCreateSubscriptionGroup: 'create unknown consumer groups on first use, default true',
  defaultTopicQueueNums: 'queue count of auto-created topics (capped by the template), default 4',
  clusterTopicEnable: 'create a topic named after the cluster, default true',
  brokerTopicEnable: 'create a topic named after the broker, default true',
  traceTopicEnable: 'create the message trace topic, default false',
  msgTraceTopicName: 'name of the message trace topic, default RMQ_SYS_TRACE_TOPIC',
  enablePropertyFilter: 'allow SQL92 property filters on pulls, default true',
  maxMessageSize: 'largest accepted message body in bytes, default 4194304',
  longPollingEnable: 'hold empty pulls up to suspendTimeoutMillis, default true',
  shortPollingTimeMills: 'hold time for empty pulls when long polling is off, default 1000',
  maxHeldPullRequests: 'most pull requests held at once by long polling, default 100000',
  registerBrokerIntervalMs: 'period of REGISTER_BROKER to every name server, default 30000',
  registerBrokerTimeoutMills: 'timeout of one REGISTER_BROKER call, default 6000',
  adminHttpPort: 'HTTP admin/metrics port, 0 = off',
  adminHttpToken: 'token the dashboard asks for before admin actions (header X-Admin-Token); empty = read-only dashboard',
  messageDelayLevel: 'delay of each level, e.g. "1s 5s 10s 30s 1m ... 2h" (units ms s m h d)',
  maxReconsumeTimes: 'retries before %DLQ% for auto-created groups, default 16',
  flushConsumerOffsetIntervalMs: 'period of consumerOffset.json persistence, default 5000',
  channelExpiredTimeoutMs: 'drop a client channel after this long without heartbeat, default 120000',
  rebalanceLockMaxLiveTimeMs: 'LOCK_BATCH_MQ lock lifetime without renewal, default 60000',
  regionId: 'MSG_REGION returned on sends, default DefaultRegion',
  traceOn: 'TRACE_ON returned on sends, default true',
  rejectTransactionMessage: 'refuse transactional (prepared) messages, default false',
  transactionTimeOut: 'ms before an unresolved half message is checked back with its producer, default 6000',
  transactionCheckMax: 'check-backs of one half message before it is discarded, default 15',
  transactionCheckInterval: 'period of the transaction check-back scan in ms, default 60000',
  storeReplyMessageEnable: 'also store request-reply replies in <cluster>_REPLY_TOPIC, default true',
  maxTransferBytesOnMessageInMemory: 'most bytes of messages in one pull reply, default 262144',
  maxTransferCountOnMessageInMemory: 'most messages in one pull reply, default 32',
};

/** Parses messageDelayLevel ("1s 5s 1m ...") into milliseconds per level (index 0 = level 1). */
export function parseDelayLevels(text: string): number[] {
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const out: number[] = [];
  for (const item of text.trim().split(/\s+/)) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(item);
    if (!m) throw new Error(`messageDelayLevel: bad level "${item}"`);
    out.push(Number(m[1]) * unitMs[m[2]!]!);
  }
  return out;
}
