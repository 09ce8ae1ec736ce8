// Route and permission facts shared by name server, broker and clients: the TopicRouteData a
// GET_ROUTEINFO_BY_TOPIC reply carries (wire shape), PermName bits, and DataVersion, the
// (timestamp, counter) pair that tells a newer topic/config table from an older one.

/** PermName bits of a topic or broker. */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;
export const PERM_PRIORITY = Perm.PRIORITY;
export const PERM_READ = Perm.READ;
export const PERM_WRITE = Perm.WRITE;
export const PERM_INHERIT = Perm.INHERIT;

export const isReadable = (perm: number): boolean => (perm & PERM_READ) === PERM_READ;
export const isWriteable = (perm: number): boolean => (perm & PERM_WRITE) === PERM_WRITE;
export const isInherited = (perm: number): boolean => (perm & PERM_INHERIT) === PERM_INHERIT;

/** brokerId of a master in BrokerData.brokerAddrs (slaves have 1, 2, ...). */
export const MASTER_ID = 0;

/** One broker's queues of a topic. */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** One broker group as the route reply spells it. */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId ("0" is the master) -> "ip:port". */
  brokerAddrs: Record<string, string>;
}

/** GET_ROUTEINFO_BY_TOPIC reply body. */
export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
}

/** The plain (JSON) form of a DataVersion. */
export interface DataVersionData {
  timestamp: number;
  counter: number;
}

/** A table's version: the counter moves on every change, the timestamp says when. */
export class DataVersion implements DataVersionData {
  timestamp = Date.now();
  counter = 0;
  next(): void {
    this.timestamp = Date.now();
    this.counter++;
  }
  toJSON(): { counter: number; timestamp: number } {
    return { counter: this.counter, timestamp: this.timestamp };
  }
  load(v: unknown): void {
    if (v && typeof v === 'object') {
      const o = v as { counter?: unknown; timestamp?: unknown };
      if (typeof o.counter === 'number') this.counter = o.counter;
      if (typeof o.timestamp === 'number') this.timestamp = o.timestamp;
    }
  }
}

/** A consumer group's broker-side settings (Apache's SubscriptionGroupConfig, the JSON of codes 200/201). */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
}
