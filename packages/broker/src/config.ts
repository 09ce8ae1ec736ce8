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
  /** ACL 1.0: check every request against plain_acl.yml (Apache's aclEnable). */
  aclEnable: boolean;
  /** plain_acl.yml path; '' = $ROCKETMQ_HOME/conf/plain_acl.yml, else <storePathRootDir>/conf/plain_acl.yml. */
  aclPlainFile: string;
  /** Close a connection that sent nothing for this long (Apache's serverChannelMaxIdleTimeSeconds); 0 = never. */
  serverChannelMaxIdleTimeSeconds: number;
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
  // ---- HA (master/slave replication, Apache MessageStoreConfig/BrokerConfig names)
  /** HA port of a master; -1 = listenPort + 1 (0 when listenPort is 0: ephemeral) */
  haListenPort: number;
  /** slave: the master's HA address "ip:port"; empty = the haServerAddr the name server returns */
  haMasterAddress: string;
  haSendHeartbeatInterval: number;
  haHousekeepingInterval: number;
  haTransferBatchSize: number;
  /** SYNC_MASTER: a slave further behind than this many bytes is not in sync (SLAVE_NOT_AVAILABLE) */
  haSlaveFallbehindMax: number;
  /** 5.x name of haSlaveFallbehindMax; > 0 overrides it */
  haMaxGapNotInSync: number;
  /** SYNC_MASTER: ms a send waits for a slave ack before FLUSH_SLAVE_TIMEOUT */
  slaveTimeout: number;
  slaveReadEnable: boolean;
  accessMessageInMemoryMaxRatio: number;
  /** slave: period of the metadata copy from the master (Apache: 10 s) */
  slaveSyncIntervalMs: number;
  /** Timer messages (5.x TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS): see timer/. */
  timerWheelEnable: boolean;
  timerMaxDelaySec: number;
  timerPrecisionMs: number;
  timerWheelSlots: number;
  timerFlushIntervalMs: number;
  /** POP consumption (5.x): see pop/. */
  popReviveIntervalMs: number;
  popPollingMax: number;
  popFromRetryProbability: number;
  popMaxInflightPerQueue: number;
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
    aclEnable: false,
    aclPlainFile: '',
    serverChannelMaxIdleTimeSeconds: 120,
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
    haListenPort: -1,
    haMasterAddress: '',
    haSendHeartbeatInterval: 5000,
    haHousekeepingInterval: 20000,
    haTransferBatchSize: 32 * 1024,
    haSlaveFallbehindMax: 256 * 1024 * 1024,
    haMaxGapNotInSync: 0,
    slaveTimeout: 3000,
    slaveReadEnable: false,
    accessMessageInMemoryMaxRatio: 40,
    slaveSyncIntervalMs: 10_000,
    timerWheelEnable: true,
    timerMaxDelaySec: 3 * 24 * 3600,
    timerPrecisionMs: 100,
    timerWheelSlots: 216_000,
    timerFlushIntervalMs: 1000,
    popReviveIntervalMs: 100,
    popPollingMax: 100_000,
    popFromRetryProbability: 20,
    popMaxInflightPerQueue: 20_000,
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
  aclEnable: 'ACL 1.0 (Apache plain_acl.yml): refuse unsigned/unauthorized requests with NO_PERMISSION (16); the file is reloaded when it changes',
  serverChannelMaxIdleTimeSeconds: 'close a connection that sent nothing for this long, seconds (0 = never)',
  aclPlainFile: 'plain_acl.yml path (Apache: -Drocketmq.acl.plain.file); empty = $ROCKETMQ_HOME/conf/plain_acl.yml, or <storePathRootDir>/conf/plain_acl.yml without ROCKETMQ_HOME',
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
  haListenPort: 'master: port slaves replicate from, default listenPort + 1 (-1)',
  haMasterAddress: 'slave: master HA address ip:port; empty = learn it from the name server on registration',
  haSendHeartbeatInterval: 'HA heartbeat / offset report period in ms, default 5000',
  haHousekeepingInterval: 'close an HA connection silent for this many ms, default 20000',
  haTransferBatchSize: 'most commit log bytes in one HA frame, default 32768',
  haSlaveFallbehindMax: 'SYNC_MASTER: bytes a slave may lag and still count as in sync, default 268435456',
  haMaxGapNotInSync: 'same as haSlaveFallbehindMax (5.x name); > 0 overrides it',
  slaveTimeout: 'SYNC_MASTER: ms a send waits for a slave ack before FLUSH_SLAVE_TIMEOUT, default 3000',
  slaveReadEnable: 'suggest pulling from the slave (brokerId 1) when a consumer reads far behind, default false',
  accessMessageInMemoryMaxRatio: 'percent of memory beyond which a pull counts as far behind, default 40',
  slaveSyncIntervalMs: 'slave: period of the topic/offset/group metadata copy from the master, default 10000',
  timerWheelEnable: 'accept timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS), default true',
  timerMaxDelaySec: 'latest accepted delivery time of a timer message, seconds from now, default 259200 (3 days)',
  timerPrecisionMs: 'ms per timer wheel slot (deliveries are still timed to the ms), default 100; fixed once the wheel exists',
  timerWheelSlots: 'slots in the timer wheel (slots x precision = one round; later timers roll), default 216000 (6 h); fixed once the wheel exists',
  timerFlushIntervalMs: 'period of the timer wheel snapshot (timerwheel + fsync of the timerlog), default 1000',
  popReviveIntervalMs: 'period of the POP revive scan (expired invisible times to %RETRY%group_topic), default 100',
  popPollingMax: 'most POP requests held by long polling at once (then POLLING_FULL 209), default 100000',
  popFromRetryProbability: 'percent of POP requests that look at %RETRY%group_topic first, default 20',
  popMaxInflightPerQueue: 'un-acked POP messages per group and queue before POP stops serving it, default 20000',
};

export { parseDelayLevels } from '@rmq/remoting';
