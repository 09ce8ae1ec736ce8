// The name server's routing tables, in memory only (brokers re-register every 30 s, so nothing is
// persisted). Plain data in, plain data out: no sockets or wire encoding here, so the rules of
// registration, expiry and route assembly are testable on their own. Mirrors the 4.x tables:
// topic -> queue datas, brokerName -> addresses, cluster -> brokerNames, brokerAddr -> liveness.
import { javaHashOrder } from './java-hash-order.js';

import { MASTER_ID, PERM_INHERIT, PERM_READ, PERM_WRITE, type DataVersionData, type QueueData } from '@rmq/remoting';

export { MASTER_ID, PERM_INHERIT, PERM_READ, PERM_WRITE, type QueueData };
const TOPIC_SYS_FLAG_UNIT = 0x1;
const TOPIC_SYS_FLAG_UNIT_SUB = 0x2;

/** The in-memory form of a broker group (the route reply writes brokerAddrs as an object). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>; // brokerId -> "ip:port"; 0 is the master
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export type DataVersion = DataVersionData;

/** Whatever identifies the broker's connection; closed when the broker expires. */
export interface ChannelLike {
  close(): void;
}

export interface BrokerLiveInfo {
  lastUpdateTimestamp: number;
  dataVersion: DataVersion;
  channel: ChannelLike;
  haServerAddr: string;
}

export interface RegisterBrokerInput {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  dataVersion: DataVersion;
  topicConfigs: TopicConfig[] | null;
  filterServerList: string[];
  channel: ChannelLike;
}

export interface RegisterBrokerResult {
  haServerAddr: string | null;
  masterAddr: string | null;
}

export interface TopicRouteData {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Map<string, string[]>;
}

export interface ClusterInfo {
  brokerAddrTable: BrokerData[]; // in Java HashMap order of brokerName
  clusterAddrTable: Array<[string, string[]]>;
}

export type UnitTopicKind = 'unit' | 'hasUnitSub' | 'hasUnitSubUnUnit';

function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.timestamp === b.timestamp && a.counter === b.counter;
}

function sameQueueData(a: QueueData, b: QueueData): boolean {
  return a.brokerName === b.brokerName && a.readQueueNums === b.readQueueNums
    && a.writeQueueNums === b.writeQueueNums && a.perm === b.perm && a.topicSysFlag === b.topicSysFlag;
}

function cloneBrokerData(b: BrokerData): BrokerData {
  return { cluster: b.cluster, brokerName: b.brokerName, brokerAddrs: new Map(b.brokerAddrs) };
}

export class RouteInfoManager {
  private readonly topicQueueTable = new Map<string, QueueData[]>();
  private readonly brokerAddrTable = new Map<string, BrokerData>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly filterServerTable = new Map<string, string[]>();

  registerBroker(input: RegisterBrokerInput, nowMs = Date.now()): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId } = input;
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let brokerData = this.brokerAddrTable.get(brokerName);
    let registerFirst = !brokerData;
    if (!brokerData) {
      brokerData = { cluster: clusterName, brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(brokerName, brokerData);
    }
    // One address has one role: a slave promoted to master re-registers under id 0.
    for (const [id, addr] of brokerData.brokerAddrs) {
      if (addr === brokerAddr && id !== brokerId) brokerData.brokerAddrs.delete(id);
    }
    const oldAddr = brokerData.brokerAddrs.get(brokerId);
    brokerData.brokerAddrs.set(brokerId, brokerAddr);
    registerFirst ||= oldAddr === undefined;

    if (input.topicConfigs && brokerId === MASTER_ID
      && (registerFirst || this.isBrokerTopicConfigChanged(brokerAddr, input.dataVersion))) {
      for (const tc of input.topicConfigs) this.createAndUpdateQueueData(brokerName, tc);
    }

    this.brokerLiveTable.set(brokerAddr, {
      lastUpdateTimestamp: nowMs,
      dataVersion: { ...input.dataVersion },
      channel: input.channel,
      haServerAddr: input.haServerAddr,
    });
    if (input.filterServerList.length > 0) this.filterServerTable.set(brokerAddr, [...input.filterServerList]);
    else this.filterServerTable.delete(brokerAddr);

    if (brokerId !== MASTER_ID) {
      const masterAddr = brokerData.brokerAddrs.get(MASTER_ID);
      const masterLive = masterAddr === undefined ? undefined : this.brokerLiveTable.get(masterAddr);
      if (masterAddr !== undefined && masterLive) return { haServerAddr: masterLive.haServerAddr, masterAddr };
    }
    return { haServerAddr: null, masterAddr: null };
  }

  private createAndUpdateQueueData(brokerName: string, tc: TopicConfig): void {
    const queueData: QueueData = {
      brokerName,
      readQueueNums: tc.readQueueNums,
      writeQueueNums: tc.writeQueueNums,
      perm: tc.perm,
      topicSysFlag: tc.topicSysFlag,
    };
    const list = this.topicQueueTable.get(tc.topicName);
    if (!list) {
      this.topicQueueTable.set(tc.topicName, [queueData]);
      return;
    }
    const i = list.findIndex((q) => q.brokerName === brokerName);
    if (i >= 0 && sameQueueData(list[i]!, queueData)) return;
    if (i >= 0) list.splice(i, 1);
    list.push(queueData);
  }

  isBrokerTopicConfigChanged(brokerAddr: string, dataVersion: DataVersion): boolean {
    const prev = this.brokerLiveTable.get(brokerAddr)?.dataVersion;
    return !prev || !sameDataVersion(prev, dataVersion);
  }

  /** QUERY_DATA_VERSION counts as a heartbeat. */
  updateBrokerInfoUpdateTimestamp(brokerAddr: string, nowMs = Date.now()): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live) live.lastUpdateTimestamp = nowMs;
  }

  queryBrokerDataVersion(brokerAddr: string): DataVersion | null {
    const dv = this.brokerLiveTable.get(brokerAddr)?.dataVersion;
    return dv ? { ...dv } : null;
  }

  unregisterBroker(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const brokerData = this.brokerAddrTable.get(brokerName);
    let removeBrokerName = false;
    if (brokerData) {
      brokerData.brokerAddrs.delete(brokerId);
      if (brokerData.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(brokerName);
        removeBrokerName = true;
      }
    }
    if (!removeBrokerName) return;
    const names = this.clusterAddrTable.get(clusterName);
    if (names) {
      names.delete(brokerName);
      if (names.size === 0) this.clusterAddrTable.delete(clusterName);
    }
    this.removeTopicsOfBroker(brokerName);
  }

  /** The broker's connection closed or expired: forget the address and whatever hung on it. */
  onChannelDestroy(channel: ChannelLike): string | null {
    let brokerAddr: string | null = null;
    for (const [addr, live] of this.brokerLiveTable) {
      if (live.channel === channel) {
        brokerAddr = addr;
        break;
      }
    }
    if (brokerAddr === null) return null;
    this.removeBrokerAddr(brokerAddr);
    return brokerAddr;
  }

  /** Brokers silent for longer than `expiredMs`: removed; their channels are returned to be closed. */
  scanNotActiveBroker(expiredMs: number, nowMs = Date.now()): Array<{ brokerAddr: string; channel: ChannelLike }> {
    const expired: Array<{ brokerAddr: string; channel: ChannelLike }> = [];
    for (const [brokerAddr, live] of this.brokerLiveTable) {
      if (live.lastUpdateTimestamp + expiredMs < nowMs) expired.push({ brokerAddr, channel: live.channel });
    }
    for (const e of expired) this.removeBrokerAddr(e.brokerAddr);
    return expired;
  }

  private removeBrokerAddr(brokerAddr: string): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const removedNames: string[] = [];
    for (const [name, bd] of this.brokerAddrTable) {
      for (const [id, addr] of bd.brokerAddrs) if (addr === brokerAddr) bd.brokerAddrs.delete(id);
      if (bd.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(name);
        removedNames.push(name);
      }
    }
    for (const name of removedNames) {
      for (const [cluster, names] of this.clusterAddrTable) {
        names.delete(name);
        if (names.size === 0) this.clusterAddrTable.delete(cluster);
      }
      this.removeTopicsOfBroker(name);
    }
  }

  private removeTopicsOfBroker(brokerName: string): void {
    for (const [topic, list] of this.topicQueueTable) {
      const kept = list.filter((q) => q.brokerName !== brokerName);
      if (kept.length === 0) this.topicQueueTable.delete(topic);
      else if (kept.length !== list.length) this.topicQueueTable.set(topic, kept);
    }
  }

  /** The route of a topic, or null when no queue or no broker serves it. */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const queueDatas = this.topicQueueTable.get(topic);
    if (!queueDatas || queueDatas.length === 0) return null;
    const names = javaHashOrder(new Set(queueDatas.map((q) => q.brokerName)));
    const brokerDatas: BrokerData[] = [];
    for (const name of names) {
      const bd = this.brokerAddrTable.get(name);
      if (bd) brokerDatas.push(cloneBrokerData(bd));
    }
    if (brokerDatas.length === 0) return null;
    const filterServerTable = new Map<string, string[]>();
    for (const bd of brokerDatas) {
      for (const addr of bd.brokerAddrs.values()) {
        const servers = this.filterServerTable.get(addr);
        if (servers) filterServerTable.set(addr, [...servers]);
      }
    }
    return { queueDatas: queueDatas.map((q) => ({ ...q })), brokerDatas, filterServerTable };
  }

  clusterInfo(): ClusterInfo {
    const brokerAddrTable = javaHashOrder(this.brokerAddrTable.keys())
      .map((name) => cloneBrokerData(this.brokerAddrTable.get(name)!));
    const clusterAddrTable = javaHashOrder(this.clusterAddrTable.keys())
      .map((c): [string, string[]] => [c, javaHashOrder(this.clusterAddrTable.get(c)!)]);
    return { brokerAddrTable, clusterAddrTable };
  }

  /** Every topic with a route, in Java HashSet order. */
  allTopics(): string[] {
    return javaHashOrder(this.topicQueueTable.keys());
  }

  topicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (!names) return [];
    const topics: string[] = [];
    for (const [topic, list] of this.topicQueueTable) {
      if (list.some((q) => names.has(q.brokerName))) topics.push(topic);
    }
    return javaHashOrder(topics);
  }

  /** Cluster and broker names (the topics every broker serves) plus one broker address to ask. */
  systemTopicList(): { topics: string[]; brokerAddr: string | null } {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const n of names) topics.add(n);
    }
    let brokerAddr: string | null = null;
    for (const bd of this.brokerAddrTable.values()) {
      const first = bd.brokerAddrs.values().next();
      if (!first.done) {
        brokerAddr = first.value;
        break;
      }
    }
    return { topics: javaHashOrder(topics), brokerAddr };
  }

  unitTopics(kind: UnitTopicKind): string[] {
    const topics: string[] = [];
    for (const [topic, list] of this.topicQueueTable) {
      const flag = list[0]?.topicSysFlag ?? 0;
      const unit = (flag & TOPIC_SYS_FLAG_UNIT) !== 0;
      const unitSub = (flag & TOPIC_SYS_FLAG_UNIT_SUB) !== 0;
      if (kind === 'unit' ? unit : kind === 'hasUnitSub' ? unitSub : unitSub && !unit) topics.push(topic);
    }
    return javaHashOrder(topics);
  }

  /** Removes the topic's route; with a cluster name, only the queues of that cluster's brokers. */
  deleteTopic(topic: string, clusterName?: string | null): void {
    if (!clusterName) {
      this.topicQueueTable.delete(topic);
      return;
    }
    const names = this.clusterAddrTable.get(clusterName);
    const list = this.topicQueueTable.get(topic);
    if (!names || !list) return;
    const kept = list.filter((q) => !names.has(q.brokerName));
    if (kept.length === 0) this.topicQueueTable.delete(topic);
    else this.topicQueueTable.set(topic, kept);
  }

  /** Drops write permission on every queue of the broker (before taking it down); returns the count. */
  wipeWritePermOfBroker(brokerName: string): number {
    return this.operateWritePerm(brokerName, (perm) => perm & ~PERM_WRITE);
  }

  addWritePermOfBroker(brokerName: string): number {
    return this.operateWritePerm(brokerName, () => PERM_READ | PERM_WRITE);
  }

  private operateWritePerm(brokerName: string, f: (perm: number) => number): number {
    let count = 0;
    for (const list of this.topicQueueTable.values()) {
      for (const q of list) {
        if (q.brokerName !== brokerName) continue;
        q.perm = f(q.perm);
        count++;
      }
    }
    return count;
  }

  isBrokerLive(brokerAddr: string): boolean {
    return this.brokerLiveTable.has(brokerAddr);
  }

  /** For tests and diagnostics. */
  liveBrokerAddrs(): string[] {
    return [...this.brokerLiveTable.keys()];
  }
}
