// What the admin HTTP server reads from the broker. The broker implements these getters over its
// managers and store; the HTTP side never reaches into broker internals, so it can be tested with
// a plain object. Getters are called per request (and once a second for WebSocket subscribers):
// they should be cheap snapshots.

import type { HistogramSnapshot } from './histogram.js';

export interface AdminHttpLogger {
  info(msg: string, ...a: unknown[]): void;
  warn(msg: string, ...a: unknown[]): void;
  error(msg: string, ...a: unknown[]): void;
}

export interface BrokerInfoView {
  brokerClusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string; // "ip:port" of the remoting listener
  brokerRole: string;
  version: string; // e.g. "V4_9_8"
  startTimeMs: number;
  /** Anything else worth showing (config excerpts, store runtime info). */
  [key: string]: unknown;
}

export interface BrokerStatsView {
  messagesPutTotal: number;
  messagesGotTotal: number;
  bytesPutTotal?: number;
  bytesGotTotal?: number;
  /** Store put latency (commit log append to durability), see LatencyHistogram. */
  putLatency?: HistogramSnapshot;
  commitLogMinOffset: number;
  commitLogMaxOffset: number;
  dispatchBehindBytes?: number;
  pageCacheBytes: number;
  connections: number;
  /** master/slave replication lag (ha/): bytes and ms behind, connected slaves (masters) */
  replication?: { bytes: number; ms: number; slaves: number; role: string };
}

export interface QueueOffsetsView {
  queueId: number;
  minOffset: number;
  maxOffset: number;
}

export interface TopicView {
  topic: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  queues?: QueueOffsetsView[];
}

export interface GroupView {
  group: string;
  /** Number of online client instances of the group. */
  online: number;
  consumeEnable?: boolean;
  messageModel?: string;
  consumeType?: string;
  topics?: string[];
  /** Sum over the group's queues of (broker max offset - committed consumer offset). */
  diffTotal?: number;
}

export interface ExporterGroupTopic {
  group: string;
  topic: string;
  online: number;
  messageModel: string;
  /** GROUP_GET_NUMS over the last minute, per second. */
  getTps: number;
  getSizeTps: number;
  brokerOffset: number;
  consumerOffset: number;
  diff: number;
  retryDiff: number;
  dlqDiff: number;
}

/** Inputs of the rocketmq-exporter-compatible series (see exporter-view.ts). */
export interface ExporterView {
  topics: Array<{ topic: string; putTps: number; putSizeTps: number; maxOffset: number }>;
  groups: ExporterGroupTopic[];
  connections: Array<{ group: string; count: number; caddr: string; localaddr: string }>;
  /** GET_BROKER_RUNTIME_INFO's table. */
  runtime: Record<string, string>;
  putLatency?: HistogramSnapshot;
}

export interface AdminHttpContext {
  brokerInfo(): BrokerInfoView;
  stats(): BrokerStatsView;
  topics(): TopicView[];
  groups(): GroupView[];
  /** rocketmq-exporter's series on /metrics when present. */
  exporter?(): ExporterView;
  logger?: AdminHttpLogger;
}
