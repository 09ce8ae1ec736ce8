// A typed admin client over the remoting protocol (what mqadmin's DefaultMQAdminExt does in Java):
// cluster, topics, consumer groups, offsets, connections, message queries, broker config and stats.
// Requests are built as the 4.9.8 tools build them (same codes, header field names and bodies), so
// this works against Apache RocketMQ as well as against this project's broker. The mq-admin CLI and
// the dashboard's actions go through it.
import {
  RemotingClient, RemotingCommand, aclClientRPCHook, isJsonObject, looseArray, looseObject, parseFastJson, type JsonObject, type SessionCredentials,
} from '@rmq/remoting';
import { decodeMessages, decodeOffsetMsgId, type Message, type MessageExt, type MessageQueue } from '../message.js';
import { messageQueueOf } from '../instance/json.js';
import { CLIENT_VERSION, MixAll, RequestCode as ClientCodes, ResponseCode } from '../protocol.js';
import { MQBrokerError, MQClientError } from '../errors.js';
import { wrapTransportError } from '../instance/mq-client-api.js';
import { normalizeRoute, type TopicRouteData } from '../instance/route.js';
import { Producer } from '../producer/producer.js';
import type { SendResult } from '../instance/mq-client-api.js';
import type {
  BrokerStatsData, ClusterBrokerRow, ClusterInfo, AdminConsumeDirectlyResult, ConsumeStats, ConsumerConnection, Connection,
  QueueProgress, QueueStatus, ResetOffsetResult, SubscriptionGroupConfig, TopicConfig, TopicConfigInput, TopicStatsRow,
} from './types.js';

/** Request codes the admin client sends: RocketMQ 4.x RequestCode numbers, one table in @rmq/remoting. */
export const AdminRequestCode = ClientCodes;

const C = AdminRequestCode;
/** Java's Long.MAX_VALUE, as mqadmin sends for an open-ended time range. */
const LONG_MAX = '9223372036854775807';
const UNIQUE_KEY_QUERY = '_UNIQUE_KEY_QUERY';
const TOOLS_GROUP = 'TOOLS_CONSUMER';

export interface AdminRpcHook {
  /** Called before every request (e.g. to sign it for ACL). */
  doBeforeRequest?(addr: string, req: RemotingCommand): void;
}

export interface AdminOptions {
  namesrvAddr: string | string[];
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
  rpcHook?: AdminRpcHook;
  /** ACL 1.0: sign every request (and the test producer's) with this account, as Apache's AclClientRPCHook. */
  credentials?: SessionCredentials;
  /** Producer group used by sendMessage; default TOOLS_PRODUCER_GROUP... as mqadmin's sendMessage. */
  producerGroup?: string;
}

export interface TopicTarget {
  /** One broker ("ip:port"). */
  brokerAddr?: string;
  /** Every master of this cluster. */
  clusterName?: string;
}

export interface QueryByTimeOptions {
  /** At most this many messages in all (default 64). */
  maxNum?: number;
}

type Fields = Record<string, string | number | boolean | undefined>;

function strFields(f: Fields | null): Record<string, string> | null {
  if (f === null) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = String(v);
  return out;
}

function n(v: unknown, d = 0): number {
  const x = Number(v);
  return Number.isFinite(x) ? x : d;
}

/** A fastjson map key that is a MessageQueue object: parsed back to an object. */
const mqOfKey = (k: string): MessageQueue => messageQueueOf(k);

/** The entries of a JSON map as [key, object value]; a value that is no object reads as empty. */
function objectEntries(v: unknown): Array<[string, JsonObject]> {
  return Object.entries(looseObject(v)).map(([k, x]) => [k, looseObject(x)]);
}

function byQueue<T extends { brokerName: string; queueId: number; topic?: string }>(a: T, b: T): number {
  const ta = a.topic ?? '', tb = b.topic ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

export function isRetryTopic(t: string): boolean { return t.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX); }
export function isDlqTopic(t: string): boolean { return t.startsWith(MixAll.DLQ_GROUP_TOPIC_PREFIX); }

export class Admin {
  readonly remoting: RemotingClient;
  private readonly namesrv: string[];
  private nsIndex = 0;
  private readonly timeoutMs: number;
  private readonly hook: AdminRpcHook | undefined;
  private readonly credentials: SessionCredentials | undefined;
  private producer: Producer | null = null;
  private readonly producerGroup: string;

  constructor(opts: AdminOptions) {
    const list = (Array.isArray(opts.namesrvAddr) ? opts.namesrvAddr : String(opts.namesrvAddr ?? '').split(';'))
      .map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new MQClientError('no name server address given (namesrvAddr)');
    this.namesrv = list;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.credentials = opts.credentials;
    this.hook = opts.rpcHook ?? (opts.credentials ? aclClientRPCHook(opts.credentials) : undefined);
    this.producerGroup = opts.producerGroup ?? 'TOOLS_PRODUCER';
    this.remoting = new RemotingClient({ connectTimeoutMs: 3000, name: 'mq-admin' });
  }

  get namesrvAddrs(): readonly string[] { return this.namesrv; }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await p.shutdown().catch(() => undefined);
    await this.remoting.close();
  }

  // ---- raw calls ---------------------------------------------------------------------------------

  /** One request to `addr`; transport errors become MQTimeoutError / MQConnectError. */
  async invoke(addr: string, code: number, fields: Fields | null = null, body: Buffer | null = null, timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    const cmd = RemotingCommand.request(code, strFields(fields), body);
    cmd.version = CLIENT_VERSION;
    this.hook?.doBeforeRequest?.(addr, cmd);
    try {
      return await this.remoting.invoke(addr, cmd, timeoutMs);
    } catch (e) {
      throw wrapTransportError(e, addr);
    }
  }

  /** invoke that throws MQBrokerError unless the reply is SUCCESS. */
  async call(addr: string, code: number, fields: Fields | null = null, body: Buffer | null = null): Promise<RemotingCommand> {
    const r = await this.invoke(addr, code, fields, body);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
    return r;
  }

  /** A name-server request, failing over down the list. */
  async invokeNamesrv(code: number, fields: Fields | null = null, body: Buffer | null = null): Promise<RemotingCommand> {
    let last: unknown;
    for (let k = 0; k < this.namesrv.length; k++) {
      const i = (this.nsIndex + k) % this.namesrv.length;
      try {
        const r = await this.invoke(this.namesrv[i]!, code, fields, body);
        this.nsIndex = i;
        return r;
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new MQClientError('no name server reachable');
  }

  /** The reply's JSON body read loosely (tools read replies so): empty when there is none or it is no object. */
  private static json(r: RemotingCommand): JsonObject {
    const b = r.bodyBuffer();
    return looseObject(b && b.length > 0 ? parseFastJson(b.toString('utf8')) : null);
  }

  // ---- cluster -----------------------------------------------------------------------------------

  /** GET_BROKER_CLUSTER_INFO (106). */
  async clusterInfo(): Promise<ClusterInfo> {
    const r = await this.invokeNamesrv(C.GET_BROKER_CLUSTER_INFO);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark);
    const raw = Admin.json(r);
    const brokers: ClusterInfo['brokers'] = {};
    for (const [name, b] of objectEntries(raw.brokerAddrTable)) {
      const addrs: Record<string, string> = {};
      for (const [id, a] of Object.entries(looseObject(b.brokerAddrs))) addrs[String(Number(id))] = String(a);
      brokers[name] = { cluster: String(b.cluster ?? ''), brokerName: String(b.brokerName ?? name), brokerAddrs: addrs };
    }
    const clusters: ClusterInfo['clusters'] = {};
    for (const [c, names] of Object.entries(looseObject(raw.clusterAddrTable))) clusters[c] = looseArray(names).map(String).sort();
    return { brokers, clusters };
  }

  /** Every broker the name server knows, with its runtime info (clusterList). */
  async clusterBrokers(clusterName?: string): Promise<ClusterBrokerRow[]> {
    const info = await this.clusterInfo();
    const rows: ClusterBrokerRow[] = [];
    for (const [cluster, names] of Object.entries(info.clusters).sort()) {
      if (clusterName && cluster !== clusterName) continue;
      for (const name of names) {
        const b = info.brokers[name];
        if (!b) continue;
        for (const [id, addr] of Object.entries(b.brokerAddrs).sort((x, y) => Number(x[0]) - Number(y[0]))) {
          rows.push({ cluster, brokerName: name, brokerId: Number(id), addr, runtime: null });
        }
      }
    }
    await Promise.all(rows.map(async (row) => {
      try {
        row.runtime = await this.brokerRuntimeInfo(row.addr);
      } catch (e) {
        row.error = (e as Error).message;
      }
    }));
    return rows;
  }

  /** Masters ("ip:port" by broker name), of one cluster or of all. */
  async masters(clusterName?: string): Promise<Array<{ cluster: string; brokerName: string; addr: string }>> {
    const info = await this.clusterInfo();
    const out: Array<{ cluster: string; brokerName: string; addr: string }> = [];
    for (const [cluster, names] of Object.entries(info.clusters)) {
      if (clusterName && cluster !== clusterName) continue;
      for (const name of names) {
        const addr = info.brokers[name]?.brokerAddrs['0'];
        if (addr) out.push({ cluster, brokerName: name, addr });
      }
    }
    if (clusterName && out.length === 0 && !(clusterName in info.clusters)) throw new MQClientError(`cluster ${clusterName} not found`);
    return out.sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1));
  }

  private async targetAddrs(t: TopicTarget): Promise<string[]> {
    if (t.brokerAddr) return [t.brokerAddr];
    if (t.clusterName) return (await this.masters(t.clusterName)).map((m) => m.addr);
    throw new MQClientError('give a broker address (-b) or a cluster name (-c)');
  }

  /** GET_BROKER_RUNTIME_INFO (28): the key/value table brokerStatus prints. */
  async brokerRuntimeInfo(addr: string): Promise<Record<string, string>> {
    const table = looseObject(Admin.json(await this.call(addr, C.GET_BROKER_RUNTIME_INFO)).table);
    const out: Record<string, string> = {};
    for (const k of Object.keys(table).sort()) out[k] = String(table[k]);
    return out;
  }

  // ---- topics ------------------------------------------------------------------------------------

  /** GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206), or GET_TOPICS_BY_CLUSTER (224) with a cluster. */
  async topicList(clusterName?: string): Promise<string[]> {
    const r = clusterName
      ? await this.invokeNamesrv(C.GET_TOPICS_BY_CLUSTER, { cluster: clusterName })
      : await this.invokeNamesrv(C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark);
    return looseArray(Admin.json(r).topicList).map(String).sort();
  }

  /** GET_ROUTEINFO_BY_TOPIC (105); null when the topic has no route. */
  async topicRoute(topic: string): Promise<TopicRouteData | null> {
    const r = await this.invokeNamesrv(C.GET_ROUTEINFO_BY_TOPIC, { topic });
    if (r.code === ResponseCode.TOPIC_NOT_EXIST) return null;
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark);
    return normalizeRoute(Admin.json(r));
  }

  private async requireRoute(topic: string): Promise<TopicRouteData> {
    const route = await this.topicRoute(topic);
    if (!route) throw new MQBrokerError(ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}`);
    return route;
  }

  private static routeMasters(route: TopicRouteData): Array<{ brokerName: string; addr: string }> {
    const out: Array<{ brokerName: string; addr: string }> = [];
    for (const b of route.brokerDatas) {
      const addr = b.brokerAddrs['0'];
      if (addr) out.push({ brokerName: b.brokerName, addr });
    }
    return out;
  }

  /** GET_TOPIC_STATS_INFO (202) on every master of the topic's route: per-queue min/max/last update. */
  async topicStatus(topic: string): Promise<QueueStatus[]> {
    const route = await this.requireRoute(topic);
    const out: QueueStatus[] = [];
    for (const m of Admin.routeMasters(route)) {
      const table = Admin.json(await this.call(m.addr, C.GET_TOPIC_STATS_INFO, { topic })).offsetTable;
      for (const [k, v] of objectEntries(table)) {
        const mq = mqOfKey(k);
        out.push({ brokerName: mq.brokerName, queueId: mq.queueId, minOffset: n(v.minOffset), maxOffset: n(v.maxOffset), lastUpdateTimestamp: n(v.lastUpdateTimestamp) });
      }
    }
    return out.sort(byQueue);
  }

  /** GET_ALL_TOPIC_CONFIG (21) of one broker. */
  async topicConfigs(addr: string): Promise<Record<string, TopicConfig>> {
    const table = Admin.json(await this.call(addr, C.GET_ALL_TOPIC_CONFIG)).topicConfigTable;
    const out: Record<string, TopicConfig> = {};
    for (const [name, t] of objectEntries(table)) {
      out[name] = {
        topicName: String(t.topicName ?? name), readQueueNums: n(t.readQueueNums), writeQueueNums: n(t.writeQueueNums), perm: n(t.perm),
        order: t.order === true, topicFilterType: String(t.topicFilterType ?? 'SINGLE_TAG'), topicSysFlag: n(t.topicSysFlag),
      };
    }
    return out;
  }

  /** UPDATE_AND_CREATE_TOPIC (17) on one broker or every master of a cluster; returns the brokers written. */
  async createOrUpdateTopic(cfg: TopicConfigInput, target: TopicTarget): Promise<string[]> {
    if (!/^[%|a-zA-Z0-9_-]{1,127}$/.test(cfg.topic)) throw new MQClientError(`topic name "${cfg.topic}" is not allowed (letters, digits, % | _ -, at most 127)`);
    const addrs = await this.targetAddrs(target);
    for (const addr of addrs) {
      await this.call(addr, C.UPDATE_AND_CREATE_TOPIC, {
        topic: cfg.topic, defaultTopic: MixAll.DEFAULT_TOPIC, readQueueNums: cfg.readQueueNums ?? 8, writeQueueNums: cfg.writeQueueNums ?? 8,
        perm: cfg.perm ?? 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: cfg.topicSysFlag ?? 0, order: cfg.order ?? false,
      });
    }
    return addrs;
  }

  /** DELETE_TOPIC_IN_BROKER (215) on the masters, then DELETE_TOPIC_IN_NAMESRV (216) on every name server. */
  async deleteTopic(topic: string, clusterName?: string): Promise<string[]> {
    let addrs: string[];
    if (clusterName) addrs = (await this.masters(clusterName)).map((m) => m.addr);
    else addrs = Admin.routeMasters(await this.requireRoute(topic)).map((m) => m.addr);
    for (const addr of addrs) await this.call(addr, C.DELETE_TOPIC_IN_BROKER, { topic });
    for (const ns of this.namesrv) {
      const r = await this.invoke(ns, C.DELETE_TOPIC_IN_NAMESRV, clusterName ? { topic, clusterName } : { topic });
      if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, ns);
    }
    return addrs;
  }

  /** QUERY_TOPIC_CONSUME_BY_WHO (300) over the topic's masters. */
  async topicConsumedBy(topic: string): Promise<string[]> {
    const groups = new Set<string>();
    for (const m of Admin.routeMasters(await this.requireRoute(topic))) {
      for (const g of looseArray(Admin.json(await this.call(m.addr, C.QUERY_TOPIC_CONSUME_BY_WHO, { topic })).groupList)) groups.add(String(g));
    }
    return [...groups].sort();
  }

  // ---- consumer groups ---------------------------------------------------------------------------

  /** GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) of one broker. */
  async subscriptionGroups(addr: string): Promise<Record<string, SubscriptionGroupConfig>> {
    const table = Admin.json(await this.call(addr, C.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)).subscriptionGroupTable;
    const out: Record<string, SubscriptionGroupConfig> = {};
    for (const [name, g] of objectEntries(table)) out[name] = Admin.groupConfig({ ...g, groupName: typeof g.groupName === 'string' ? g.groupName : name });
    return out;
  }

  /** A group config with the defaults filled in; `g` is what a caller gave or what a broker sent. */
  private static groupConfig(g: { readonly [K in keyof SubscriptionGroupConfig]?: unknown } & { groupName: string }): SubscriptionGroupConfig {
    const bool = (v: unknown): boolean => (typeof v === 'boolean' ? v : true);
    return {
      groupName: g.groupName, consumeEnable: bool(g.consumeEnable), consumeFromMinEnable: bool(g.consumeFromMinEnable),
      consumeBroadcastEnable: bool(g.consumeBroadcastEnable), retryQueueNums: n(g.retryQueueNums, 1), retryMaxTimes: n(g.retryMaxTimes, 16),
      brokerId: n(g.brokerId, 0), whichBrokerWhenConsumeSlowly: n(g.whichBrokerWhenConsumeSlowly, 1),
      notifyConsumerIdsChangedEnable: bool(g.notifyConsumerIdsChangedEnable),
    };
  }

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): body is the SubscriptionGroupConfig JSON, as updateSubGroup sends. */
  async createOrUpdateGroup(cfg: Partial<SubscriptionGroupConfig> & { groupName: string }, target: TopicTarget): Promise<string[]> {
    if (!/^[%|a-zA-Z0-9_-]{1,255}$/.test(cfg.groupName)) throw new MQClientError(`group name "${cfg.groupName}" is not allowed`);
    const full = Admin.groupConfig(cfg);
    const addrs = await this.targetAddrs(target);
    for (const addr of addrs) await this.call(addr, C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, null, Buffer.from(JSON.stringify(full)));
    return addrs;
  }

  /** DELETE_SUBSCRIPTIONGROUP (207). */
  async deleteGroup(groupName: string, target: TopicTarget, removeOffset = false): Promise<string[]> {
    const addrs = await this.targetAddrs(target);
    for (const addr of addrs) await this.call(addr, C.DELETE_SUBSCRIPTIONGROUP, { groupName, removeOffset });
    return addrs;
  }

  /** Masters that may hold a group's offsets: its retry topic's route, else every master. */
  private async groupMasters(group: string): Promise<Array<{ brokerName: string; addr: string }>> {
    const route = await this.topicRoute(MixAll.RETRY_GROUP_TOPIC_PREFIX + group).catch(() => null);
    const fromRoute = route ? Admin.routeMasters(route) : [];
    return fromRoute.length > 0 ? fromRoute : (await this.masters()).map((m) => ({ brokerName: m.brokerName, addr: m.addr }));
  }

  /** GET_CONSUME_STATS (208) on each master: consumerProgress (per-queue broker/consumer offset, diff). */
  async consumeStats(group: string, topic?: string): Promise<ConsumeStats> {
    const out: ConsumeStats = { group, consumeTps: 0, diff: 0, queues: [] };
    for (const m of await this.groupMasters(group)) {
      const r = await this.invoke(m.addr, C.GET_CONSUME_STATS, topic ? { consumerGroup: group, topic } : { consumerGroup: group });
      if (r.code !== ResponseCode.SUCCESS) continue;
      const raw = Admin.json(r);
      out.consumeTps += n(raw.consumeTps);
      for (const [k, v] of objectEntries(raw.offsetTable)) {
        const mq = mqOfKey(k);
        const q: QueueProgress = {
          ...mq, brokerOffset: n(v.brokerOffset), consumerOffset: n(v.consumerOffset), lastTimestamp: n(v.lastTimestamp),
          diff: Math.max(0, n(v.brokerOffset) - n(v.consumerOffset)),
        };
        out.queues.push(q);
        out.diff += q.diff;
      }
    }
    out.queues.sort(byQueue);
    return out;
  }

  /** GET_CONSUMER_CONNECTION_LIST (203): the first master that knows the group online answers. */
  async consumerConnection(group: string): Promise<ConsumerConnection> {
    let lastErr: Error | null = null;
    for (const m of await this.groupMasters(group)) {
      const r = await this.invoke(m.addr, C.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: group });
      if (r.code !== ResponseCode.SUCCESS) { lastErr = new MQBrokerError(r.code, r.remark, m.addr); continue; }
      const raw = Admin.json(r);
      const subscriptions: ConsumerConnection['subscriptions'] = {};
      for (const [t, s] of objectEntries(raw.subscriptionTable)) {
        subscriptions[t] = { subString: String(s.subString ?? '*'), expressionType: String(s.expressionType ?? 'TAG'), tags: looseArray(s.tagsSet).map(String) };
      }
      return {
        group, connections: Admin.connections(raw.connectionSet), consumeType: String(raw.consumeType ?? ''),
        messageModel: String(raw.messageModel ?? ''), consumeFromWhere: String(raw.consumeFromWhere ?? ''), subscriptions,
      };
    }
    throw lastErr ?? new MQClientError(`the consumer group[${group}] not online`);
  }

  private static connections(set: unknown): Connection[] {
    return looseArray(set).map(looseObject).map((c) => ({
      clientId: String(c.clientId ?? ''), clientAddr: String(c.clientAddr ?? ''), language: String(c.language ?? ''), version: n(c.version),
    })).sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }

  /**
   * GET_CONSUMER_RUNNING_INFO (307) through a broker the client is connected to: the client's
   * properties and the queues it holds now (mqTable).
   */
  async consumerRunningInfo(group: string, clientId: string): Promise<{ properties: Record<string, string>; queues: Array<{ topic: string; brokerName: string; queueId: number }> }> {
    let lastErr: Error | null = null;
    for (const m of await this.groupMasters(group)) {
      const r = await this.invoke(m.addr, ClientCodes.GET_CONSUMER_RUNNING_INFO, { consumerGroup: group, clientId, jstackEnable: false });
      if (r.code !== ResponseCode.SUCCESS) { lastErr = new MQBrokerError(r.code, r.remark, m.addr); continue; }
      const raw = Admin.json(r);
      const properties: Record<string, string> = {};
      for (const [k, v] of Object.entries(looseObject(raw.properties))) properties[k] = String(v);
      return { properties, queues: Object.keys(looseObject(raw.mqTable)).map(mqOfKey).sort(byQueue) };
    }
    throw lastErr ?? new MQClientError(`consumer ${clientId} of ${group} not reachable`);
  }

  /** GET_PRODUCER_CONNECTION_LIST (204) on the masters of `topic` (or all masters). */
  async producerConnection(group: string, topic?: string): Promise<Connection[]> {
    const masters = topic ? Admin.routeMasters(await this.requireRoute(topic)) : await this.masters();
    const byId = new Map<string, Connection>();
    for (const m of masters) {
      const r = await this.invoke(m.addr, C.GET_PRODUCER_CONNECTION_LIST, { producerGroup: group });
      if (r.code !== ResponseCode.SUCCESS) continue;
      for (const c of Admin.connections(Admin.json(r).connectionSet)) byId.set(c.clientId, c);
    }
    if (byId.size === 0) throw new MQClientError(`the producer group[${group}] has no online producer`);
    return [...byId.values()];
  }

  /**
   * resetOffsetByTime: INVOKE_BROKER_TO_RESET_OFFSET (222) on the topic's masters (online consumers are
   * told to move). A group with no consumer online gets its offsets committed directly, as mqadmin's
   * fallback does: SEARCH_OFFSET_BY_TIMESTAMP then UPDATE_CONSUMER_OFFSET per queue. timestamp -1 = the end.
   */
  async resetOffsetByTime(group: string, topic: string, timestamp: number, force = true): Promise<ResetOffsetResult[]> {
    const route = await this.requireRoute(topic);
    const out: ResetOffsetResult[] = [];
    for (const m of Admin.routeMasters(route)) {
      const r = await this.invoke(m.addr, C.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group, timestamp, isForce: force });
      if (r.code === ResponseCode.SUCCESS) {
        for (const [k, v] of Object.entries(looseObject(Admin.json(r).offsetTable))) out.push({ ...mqOfKey(k), offset: n(v) });
        continue;
      }
      if (r.code !== ResponseCode.CONSUMER_NOT_ONLINE) throw new MQBrokerError(r.code, r.remark, m.addr);
      const qd = route.queueDatas.find((q) => q.brokerName === m.brokerName);
      for (let q = 0; q < (qd?.readQueueNums ?? 0); q++) {
        const offset = timestamp === -1
          ? n((await this.call(m.addr, C.GET_MAX_OFFSET, { topic, queueId: q })).ext('offset'))
          : n((await this.call(m.addr, C.SEARCH_OFFSET_BY_TIMESTAMP, { topic, queueId: q, timestamp })).ext('offset'));
        await this.call(m.addr, C.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: q, commitOffset: offset });
        out.push({ topic, brokerName: m.brokerName, queueId: q, offset });
      }
    }
    return out.sort(byQueue);
  }

  /** Skip accumulated: every queue of the group on `topic` to its max offset. */
  skipAccumulated(group: string, topic: string): Promise<ResetOffsetResult[]> {
    return this.resetOffsetByTime(group, topic, -1, true);
  }

  // ---- messages ----------------------------------------------------------------------------------

  /** VIEW_MESSAGE_BY_ID (33) with the broker address and commit-log offset an offset message id carries. */
  async viewMessage(offsetMsgId: string): Promise<MessageExt> {
    let decoded: { address: string; commitLogOffset: number };
    try {
      decoded = decodeOffsetMsgId(offsetMsgId);
    } catch {
      throw new MQClientError(`"${offsetMsgId}" is not an offset message id (32 hex digits)`);
    }
    const r = await this.call(decoded.address, C.VIEW_MESSAGE_BY_ID, { offset: decoded.commitLogOffset });
    const [m] = decodeMessages(r.bodyBuffer() ?? Buffer.alloc(0), await this.brokerNameOf(decoded.address));
    if (!m) throw new MQClientError(`no message at ${offsetMsgId}`);
    return m;
  }

  private async brokerNameOf(addr: string): Promise<string> {
    try {
      const info = await this.clusterInfo();
      for (const b of Object.values(info.brokers)) if (Object.values(b.brokerAddrs).includes(addr)) return b.brokerName;
    } catch { /* unknown */ }
    return '';
  }

  /** QUERY_MESSAGE (12) through the IndexFile on every master of the topic. */
  async queryMessageByKey(topic: string, key: string, maxNum = 64, beginMs = 0, endMs?: number): Promise<MessageExt[]> {
    return this.queryIndex(topic, key, maxNum, beginMs, endMs, false);
  }

  /** QUERY_MESSAGE (12) with _UNIQUE_KEY_QUERY: the message(s) whose UNIQ_KEY is `msgId`. */
  async queryMessageByUniqueKey(topic: string, msgId: string): Promise<MessageExt[]> {
    const found = await this.queryIndex(topic, msgId, 32, 0, undefined, true);
    return found.filter((m) => m.properties['UNIQ_KEY'] === msgId);
  }

  /** A client message id (UNIQ_KEY) or an offset message id, as mqadmin's viewMessage tries both. */
  async findMessage(topic: string, id: string): Promise<MessageExt[]> {
    if (/^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{56}$/.test(id)) {
      try {
        const m = await this.viewMessage(id);
        if (m.topic === topic || topic === '') return [m];
      } catch { /* try as a unique key */ }
    }
    return topic ? this.queryMessageByUniqueKey(topic, id) : [];
  }

  private async queryIndex(topic: string, key: string, maxNum: number, beginMs: number, endMs: number | undefined, unique: boolean): Promise<MessageExt[]> {
    const route = await this.requireRoute(topic);
    const out: MessageExt[] = [];
    for (const m of Admin.routeMasters(route)) {
      const fields: Fields = { topic, key, maxNum, beginTimestamp: beginMs, endTimestamp: endMs === undefined ? LONG_MAX : endMs };
      if (unique) fields[UNIQUE_KEY_QUERY] = 'true';
      const r = await this.invoke(m.addr, C.QUERY_MESSAGE, fields);
      if (r.code === ResponseCode.QUERY_NOT_FOUND) continue;
      if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, m.addr);
      for (const msg of decodeMessages(r.bodyBuffer() ?? Buffer.alloc(0), m.brokerName)) {
        if (msg.topic !== topic) continue;
        if (!unique && !(msg.keys ?? '').split(' ').includes(key)) continue;
        out.push(msg);
      }
    }
    return out.sort((a, b) => a.storeTimestamp - b.storeTimestamp).slice(0, maxNum);
  }

  /** PULL_MESSAGE (11) without committing or suspending: the messages of one queue from `offset`. */
  async pullMessages(topic: string, brokerName: string, queueId: number, offset: number, maxNums = 32): Promise<{ messages: MessageExt[]; nextOffset: number; minOffset: number; maxOffset: number; status: number }> {
    const addr = await this.masterAddrOf(topic, brokerName);
    const r = await this.invoke(addr, C.PULL_MESSAGE, {
      consumerGroup: TOOLS_GROUP, topic, queueId, queueOffset: offset, maxMsgNums: maxNums, sysFlag: 4 /* SUBSCRIPTION: the header carries it */, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
    });
    const ext = r.extFields ?? {};
    const base = { nextOffset: n(ext['nextBeginOffset'], offset), minOffset: n(ext['minOffset']), maxOffset: n(ext['maxOffset']), status: r.code };
    if (r.code === ResponseCode.SUCCESS) return { ...base, messages: decodeMessages(r.bodyBuffer() ?? Buffer.alloc(0), brokerName) };
    if (r.code === ResponseCode.PULL_NOT_FOUND || r.code === ResponseCode.PULL_RETRY_IMMEDIATELY || r.code === ResponseCode.PULL_OFFSET_MOVED) return { ...base, messages: [] };
    if (r.code === ResponseCode.NO_PERMISSION) return this.readQueueDirectly(addr, topic, brokerName, queueId, offset, maxNums);
    throw new MQBrokerError(r.code, r.remark, addr);
  }

  /**
   * A queue that refuses pulls (a write-only %DLQ% topic): QUERY_CONSUME_QUEUE (321) lists the
   * entries' commit-log offsets, VIEW_MESSAGE_BY_ID (33) reads each record, as the tools browse a DLQ.
   */
  private async readQueueDirectly(addr: string, topic: string, brokerName: string, queueId: number, offset: number, maxNums: number):
    Promise<{ messages: MessageExt[]; nextOffset: number; minOffset: number; maxOffset: number; status: number }> {
    const r = await this.call(addr, 321 /* QUERY_CONSUME_QUEUE */, { topic, queueId, index: offset, count: maxNums, consumerGroup: TOOLS_GROUP });
    const b = r.bodyBuffer();
    const parsed = b && b.length > 0 ? parseFastJson(b.toString('utf8')) : null;
    const raw = looseObject(parsed);
    const minOffset = n(raw.minQueueIndex), maxOffset = n(raw.maxQueueIndex);
    if (!isJsonObject(parsed)) return { messages: [], nextOffset: offset, minOffset, maxOffset, status: ResponseCode.PULL_NOT_FOUND };
    const messages: MessageExt[] = [];
    const queueData = looseArray(raw.queueData);
    for (const e of queueData.map(looseObject)) {
      const v = await this.invoke(addr, C.VIEW_MESSAGE_BY_ID, { offset: n(e.physicOffset) });
      if (v.code === ResponseCode.SUCCESS) messages.push(...decodeMessages(v.bodyBuffer() ?? Buffer.alloc(0), brokerName));
    }
    return { messages, nextOffset: offset + queueData.length, minOffset, maxOffset, status: messages.length ? ResponseCode.SUCCESS : ResponseCode.PULL_NOT_FOUND };
  }

  /** queryMsgByOffset: the one message at (broker, queue, offset). */
  async queryMessageByOffset(topic: string, brokerName: string, queueId: number, offset: number): Promise<MessageExt | null> {
    const r = await this.pullMessages(topic, brokerName, queueId, offset, 1);
    return r.messages.find((m) => m.queueOffset === offset) ?? null;
  }

  private async masterAddrOf(topic: string, brokerName: string): Promise<string> {
    const route = await this.requireRoute(topic);
    const b = route.brokerDatas.find((x) => x.brokerName === brokerName);
    const addr = b?.brokerAddrs['0'];
    if (!addr) throw new MQClientError(`broker ${brokerName} has no master in the route of ${topic}`);
    return addr;
  }

  /** Messages stored in [beginMs, endMs], per queue from SEARCH_OFFSET_BY_TIMESTAMP (29), newest last. */
  async queryMessageByTime(topic: string, beginMs: number, endMs: number, opts: QueryByTimeOptions = {}): Promise<MessageExt[]> {
    const maxNum = opts.maxNum ?? 64;
    const route = await this.requireRoute(topic);
    const out: MessageExt[] = [];
    for (const m of Admin.routeMasters(route)) {
      const qd = route.queueDatas.find((q) => q.brokerName === m.brokerName);
      for (let q = 0; q < (qd?.readQueueNums ?? 0); q++) {
        let from = n((await this.call(m.addr, C.SEARCH_OFFSET_BY_TIMESTAMP, { topic, queueId: q, timestamp: beginMs })).ext('offset'));
        const to = n((await this.call(m.addr, C.SEARCH_OFFSET_BY_TIMESTAMP, { topic, queueId: q, timestamp: endMs })).ext('offset'));
        const max = n((await this.call(m.addr, C.GET_MAX_OFFSET, { topic, queueId: q })).ext('offset'));
        let taken = 0;
        while (from < Math.min(max, to + 1) && taken < maxNum) {
          const r = await this.pullMessages(topic, m.brokerName, q, from, Math.min(32, maxNum - taken));
          if (r.messages.length === 0) break;
          for (const msg of r.messages) {
            if (msg.storeTimestamp >= beginMs && msg.storeTimestamp <= endMs) { out.push(msg); taken++; }
          }
          if (r.nextOffset <= from) break;
          from = r.nextOffset;
          if (r.messages[r.messages.length - 1]!.storeTimestamp > endMs) break;
        }
      }
    }
    return out.sort((a, b) => a.storeTimestamp - b.storeTimestamp).slice(-maxNum);
  }

  /** Sends one message with a producer this admin owns (sendMessage); to a given queue when named. */
  async sendMessage(msg: Message, queue?: { brokerName: string; queueId: number }): Promise<SendResult> {
    if (!this.producer) {
      const p = new Producer({
        groupName: this.producerGroup, namesrvAddr: this.namesrv.join(';'), instanceName: `mq-admin-${process.pid}-${Date.now()}`,
        ...(this.credentials ? { credentials: this.credentials } : {}),
      });
      await p.start();
      this.producer = p;
    }
    if (queue) return this.producer.send(msg, { queue: { topic: msg.topic, brokerName: queue.brokerName, queueId: queue.queueId } });
    return this.producer.send(msg);
  }

  /**
   * CONSUME_MESSAGE_DIRECTLY (309) through the broker that stored the message: the consumer `clientId`
   * of `group` runs its handler on it (resend to a group).
   */
  async consumeMessageDirectly(group: string, clientId: string, offsetMsgId: string, topic?: string): Promise<AdminConsumeDirectlyResult> {
    const addr = decodeOffsetMsgId(offsetMsgId).address;
    const r = await this.call(addr, C.CONSUME_MESSAGE_DIRECTLY, { consumerGroup: group, clientId, msgId: offsetMsgId, topic });
    const raw = Admin.json(r);
    return {
      order: raw.order === true, autoCommit: raw.autoCommit !== false, consumeResult: String(raw.consumeResult ?? ''),
      remark: String(raw.remark ?? ''), spentTimeMills: n(raw.spentTimeMills),
    };
  }

  // ---- broker config and stats -------------------------------------------------------------------

  /** GET_BROKER_CONFIG (26): the broker's properties text as a map. */
  async getBrokerConfig(addr: string): Promise<Record<string, string>> {
    const r = await this.call(addr, C.GET_BROKER_CONFIG);
    const out: Record<string, string> = {};
    for (const line of (r.bodyBuffer()?.toString('utf8') ?? '').split(/\r?\n/)) {
      const m = /^([^#=\s][^=]*)=(.*)$/.exec(line);
      if (m) out[m[1]!.trim()] = m[2]!;
    }
    return out;
  }

  /** UPDATE_BROKER_CONFIG (25) on one broker or every master of a cluster. */
  async updateBrokerConfig(props: Record<string, string>, target: TopicTarget): Promise<string[]> {
    const text = Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
    const addrs = await this.targetAddrs(target);
    for (const addr of addrs) await this.call(addr, C.UPDATE_BROKER_CONFIG, null, Buffer.from(text, 'utf8'));
    return addrs;
  }

  /** VIEW_BROKER_STATS_DATA (315); null when the broker has no such stats item. */
  async viewBrokerStats(addr: string, statsName: string, statsKey: string): Promise<BrokerStatsData | null> {
    const r = await this.invoke(addr, C.VIEW_BROKER_STATS_DATA, { statsName, statsKey });
    if (r.code !== ResponseCode.SUCCESS) return null;
    const raw = Admin.json(r);
    const item = (v: unknown): { sum: number; tps: number; avgpt: number } => {
      const x = looseObject(v);
      return { sum: n(x.sum), tps: n(x.tps), avgpt: n(x.avgpt) };
    };
    return { statsMinute: item(raw.statsMinute), statsHour: item(raw.statsHour), statsDay: item(raw.statsDay) };
  }

  /**
   * statsAll: per topic and broker the put TPS of the last minute and today's puts, and per consuming
   * group its get TPS, gets and diff.
   */
  async statsAll(onlyTopic?: string): Promise<TopicStatsRow[]> {
    const topics = onlyTopic ? [onlyTopic] : (await this.topicList()).filter((t) => !isRetryTopic(t) && !isDlqTopic(t));
    const rows: TopicStatsRow[] = [];
    for (const topic of topics) {
      const route = await this.topicRoute(topic).catch(() => null);
      if (!route) continue;
      for (const m of Admin.routeMasters(route)) {
        const put = await this.viewBrokerStats(m.addr, 'TOPIC_PUT_NUMS', topic).catch(() => null);
        const byWho = await this.call(m.addr, C.QUERY_TOPIC_CONSUME_BY_WHO, { topic }).catch(() => null);
        const groups = byWho ? looseArray(Admin.json(byWho).groupList) : [];
        const base = { topic, brokerName: m.brokerName, inTpsMinute: put?.statsMinute.tps ?? 0, inMsgToday: put?.statsDay.sum ?? 0 };
        if (groups.length === 0) rows.push({ ...base, group: null, outTpsMinute: 0, outMsgToday: 0, diff: null });
        for (const g of groups.map(String).sort()) {
          const get = await this.viewBrokerStats(m.addr, 'GROUP_GET_NUMS', `${topic}@${g}`).catch(() => null);
          const cs = await this.invoke(m.addr, C.GET_CONSUME_STATS, { consumerGroup: g, topic });
          let diff = 0;
          if (cs.code === ResponseCode.SUCCESS) {
            for (const [, v] of objectEntries(Admin.json(cs).offsetTable)) diff += Math.max(0, n(v.brokerOffset) - n(v.consumerOffset));
          }
          rows.push({ ...base, group: g, outTpsMinute: get?.statsMinute.tps ?? 0, outMsgToday: get?.statsDay.sum ?? 0, diff });
        }
      }
    }
    return rows;
  }
}
