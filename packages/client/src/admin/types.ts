// Result types of the Admin client: plain objects built from the name server's and brokers' fastjson
// replies (ClusterInfo, TopicStatsTable, ConsumeStats, ConsumerConnection, ...), with MessageQueue
// map keys turned into fields so they serialize as ordinary JSON.
import type { MessageExt } from '../message.js';

export interface BrokerAddrs {
  cluster: string;
  brokerName: string;
  /** brokerId -> "ip:port"; 0 is the master. */
  brokerAddrs: Record<string, string>;
}

export interface ClusterInfo {
  /** brokerName -> addresses. */
  brokers: Record<string, BrokerAddrs>;
  /** cluster name -> broker names. */
  clusters: Record<string, string[]>;
}

export interface ClusterBrokerRow {
  cluster: string;
  brokerName: string;
  brokerId: number;
  addr: string;
  /** GET_BROKER_RUNTIME_INFO table, or null when the broker did not answer. */
  runtime: Record<string, string> | null;
  error?: string;
}

export interface QueueStatus {
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

export interface TopicConfigInput {
  topic: string;
  readQueueNums?: number;
  writeQueueNums?: number;
  /** 2 write, 4 read, 6 read+write. */
  perm?: number;
  order?: boolean;
  topicSysFlag?: number;
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  order: boolean;
  topicFilterType: string;
  topicSysFlag: number;
}

export type { SubscriptionGroupConfig } from '@rmq/remoting';

export interface QueueProgress {
  topic: string;
  brokerName: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number;
  lastTimestamp: number;
  diff: number;
}

export interface ConsumeStats {
  group: string;
  consumeTps: number;
  diff: number;
  queues: QueueProgress[];
}

export interface Connection {
  clientId: string;
  clientAddr: string;
  language: string;
  version: number;
}

export interface ConsumerConnection {
  group: string;
  connections: Connection[];
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  /** topic -> subscription expression. */
  subscriptions: Record<string, { subString: string; expressionType: string; tags: string[] }>;
}

export interface ResetOffsetResult {
  brokerName: string;
  queueId: number;
  topic: string;
  offset: number;
}

export interface StatsItem { sum: number; tps: number; avgpt: number }
export interface BrokerStatsData { statsMinute: StatsItem; statsHour: StatsItem; statsDay: StatsItem }

export interface TopicStatsRow {
  topic: string;
  group: string | null;
  brokerName: string;
  inTpsMinute: number;
  outTpsMinute: number;
  inMsgToday: number;
  outMsgToday: number;
  diff: number | null;
}

export interface AdminConsumeDirectlyResult {
  order: boolean;
  autoCommit: boolean;
  consumeResult: string;
  remark: string;
  spentTimeMills: number;
}

export type AdminMessage = MessageExt;
