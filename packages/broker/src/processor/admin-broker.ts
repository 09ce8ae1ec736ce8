// Admin requests (mqadmin and the dashboard tools): topic and subscription-group administration,
// broker config, runtime info, offsets, consume stats, connections, reset offset, consume queue
// inspection. Replies follow RocketMQ 4.9.8's AdminBrokerProcessor: same codes, remarks and
// fastjson bodies (alphabetical keys, MessageQueue objects as map keys), since mqadmin parses them.
//
// Request codes handled here (one handler each, in code order below):
//   17 UPDATE_AND_CREATE_TOPIC        21 GET_ALL_TOPIC_CONFIG          25 UPDATE_BROKER_CONFIG
//   26 GET_BROKER_CONFIG              28 GET_BROKER_RUNTIME_INFO       43 GET_ALL_CONSUMER_OFFSET
//   45 GET_ALL_DELAY_OFFSET          200 UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
//  201 GET_ALL_SUBSCRIPTIONGROUP_CONFIG 202 GET_TOPIC_STATS_INFO      203 GET_CONSUMER_CONNECTION_LIST
//  204 GET_PRODUCER_CONNECTION_LIST  207 DELETE_SUBSCRIPTIONGROUP    208 GET_CONSUME_STATS
//  215 DELETE_TOPIC_IN_BROKER        222 INVOKE_BROKER_TO_RESET_OFFSET 223 INVOKE_BROKER_TO_GET_CONSUMER_STATUS
//  300 QUERY_TOPIC_CONSUME_BY_WHO
//  303 QUERY_CONSUME_TIME_SPAN       305 GET_SYSTEM_TOPIC_LIST_FROM_BROKER
//  306 CLEAN_EXPIRED_CONSUMEQUEUE    307 GET_CONSUMER_RUNNING_INFO    309 CONSUME_MESSAGE_DIRECTLY
//  314 CLONE_GROUP_OFFSET            315 VIEW_BROKER_STATS_DATA       317 GET_BROKER_CONSUME_STATS
//  321 QUERY_CONSUME_QUEUE

import { statfsSync } from 'node:fs';
import {
  FastJsonMap, RemotingCommand, RemotingError, RemotingErrorCode, RequestCode, ResponseCode, parseFastJson, parseJavaProperties, recordPropertiesText, tryDecodeOffsetMsgId,
  stringifyFastJson, type Channel, type Processor,
} from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { DataVersion } from '../common/json-file.js';
import { optBool, optInt, optStr, reqInt, reqStr } from '../common/header.js';
import { validateTopic } from '../common/perm.js';
import { tagsCodeOf } from '../common/properties.js';
import { newTopicConfig, type TopicConfig } from '../topic/topic-config-manager.js';
import { subscriptionJson, type SubscriptionData } from '../client/subscription-data.js';
import type { ClientChannelInfo } from '../client/client-channel.js';

type Handler = (ctx: BrokerContext, req: RemotingCommand, ch: Channel) => RemotingCommand | Promise<RemotingCommand>;

/** The remark Apache leaves on replies whose handler only sets the code (17, 321). */
const NOT_SET_REMARK = 'not set any response code';
const BROKER_VERSION = 409;
const BROKER_VERSION_DESC = 'V4_9_8';
/** Keys UPDATE_BROKER_CONFIG refuses, as Apache's configBlackList. */
const CONFIG_BLACK_LIST = new Set(['brokerConfigPath', 'rocketmqHome', 'configBlackList']);
/** Topics admins may neither create nor delete (Apache's TopicValidator system topic set + prefix). */
const SYSTEM_TOPICS = new Set(['TBW102', 'SCHEDULE_TOPIC_XXXX', 'BenchmarkTest', 'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT']);
const CALL_CLIENT_TIMEOUT_MS = 5000;
/** Bound on consume-queue entries one QUERY_CONSUME_QUEUE may return. */
const QUERY_CONSUME_QUEUE_COUNT_MAX = 1024;

function ok(body?: Buffer | null, remark: string | null = null): RemotingCommand {
  return RemotingCommand.response(ResponseCode.SUCCESS, remark, null, body ?? null);
}

function fail(code: number, remark: string): RemotingCommand {
  return RemotingCommand.response(code, remark);
}

function json(value: unknown): Buffer {
  return Buffer.from(stringifyFastJson(value), 'utf8');
}

/** Java's Double.toString for the values we emit: integral values keep a ".0". */
function javaDouble(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith('rmq_sys_');
}

/** Apache's validateSlave: admin writes go to the master. */
function slaveRefusal(ctx: BrokerContext): RemotingCommand | null {
  if (ctx.config.brokerRole !== 'SLAVE') return null;
  return fail(ResponseCode.SYSTEM_ERROR, "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
}

function topicRefusal(topic: string | undefined): RemotingCommand | null {
  const invalid = validateTopic(topic);
  if (invalid !== null) return fail(ResponseCode.SYSTEM_ERROR, invalid);
  if (isSystemTopic(topic!)) return fail(ResponseCode.SYSTEM_ERROR, `The topic[${topic}] is conflict with system topic.`);
  return null;
}

/** fastjson's MessageQueue (alphabetical fields), used as a map key. */
function mqKey(ctx: BrokerContext, topic: string, queueId: number): Record<string, unknown> {
  return { brokerName: ctx.config.brokerName, queueId, topic };
}

// ---------------------------------------------------------------- 17, 215: topics

const updateAndCreateTopic: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx) ?? topicRefusal(optStr(req.extFields, 'topic'));
  if (refused) return refused;
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const filterType = optStr(ext, 'topicFilterType') === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG';
  // As in 4.9.8, `order` is not taken from the request: mqadmin keeps order config in the name server.
  const t: TopicConfig = newTopicConfig(topic, {
    readQueueNums: reqInt(ext, 'readQueueNums'),
    writeQueueNums: reqInt(ext, 'writeQueueNums'),
    perm: reqInt(ext, 'perm'),
    topicFilterType: filterType,
    topicSysFlag: optInt(ext, 'topicSysFlag') ?? 0,
  });
  ctx.topicConfigManager.updateTopicConfig(t);
  registerSoon(ctx);
  return ok(null, NOT_SET_REMARK);
};

function registerSoon(ctx: BrokerContext): void {
  ctx.registerBrokerAll(true).catch((e: Error) => ctx.logger.warn(`register broker after admin change failed: ${e.message}`));
}

const deleteTopicInBroker: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx) ?? topicRefusal(optStr(req.extFields, 'topic'));
  if (refused) return refused;
  const topic = reqStr(req.extFields, 'topic');
  ctx.topicConfigManager.deleteTopicConfig(topic);
  ctx.store.deleteTopics([topic]);
  return ok();
};

// ---------------------------------------------------------------- 21, 43, 45, 201: whole tables

const getAllTopicConfig: Handler = (ctx) =>
  RemotingCommand.response(ResponseCode.SUCCESS, null, {}, Buffer.from(ctx.topicConfigManager.encode(), 'utf8'));

const getAllConsumerOffset: Handler = (ctx) => ok(Buffer.from(ctx.consumerOffsetManager.encode(), 'utf8'));

const getAllDelayOffset: Handler = (ctx) => ok(Buffer.from(ctx.scheduleMessageService.encode(), 'utf8'));

const getAllSubscriptionGroup: Handler = (ctx) => ok(Buffer.from(ctx.subscriptionGroupManager.encode(), 'utf8'));

// ---------------------------------------------------------------- 25, 26: broker config

interface ConfigState {
  dataVersion: DataVersion;
  /** Keys set by UPDATE_BROKER_CONFIG that no config object has (Apache keeps them in allConfigs). */
  extra: Map<string, string>;
}
const configStates = new WeakMap<BrokerContext, ConfigState>();

function configState(ctx: BrokerContext): ConfigState {
  let s = configStates.get(ctx);
  if (!s) {
    s = { dataVersion: new DataVersion(), extra: new Map() };
    configStates.set(ctx, s);
  }
  return s;
}

/** Sets `key` on whichever config object has it, converting by the current value's type. */
function applyConfigValue(target: Record<string, unknown>, key: string, value: string): 'set' | 'absent' | 'invalid' {
  if (!Object.prototype.hasOwnProperty.call(target, key)) return 'absent';
  const cur = target[key];
  if (typeof cur === 'number') {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) return 'invalid';
    target[key] = n;
  } else if (typeof cur === 'boolean') {
    target[key] = value.trim().toLowerCase() === 'true';
  } else if (typeof cur === 'string') {
    target[key] = value;
  } else {
    return 'invalid';
  }
  return 'set';
}

const updateBrokerConfig: Handler = (ctx, req) => {
  const body = req.bodyBuffer();
  if (body === null || body.length === 0) return ok();
  const props = new Map(parseJavaProperties(body.toString('utf8')));
  for (const key of props.keys()) {
    if (CONFIG_BLACK_LIST.has(key)) return fail(ResponseCode.NO_PERMISSION, 'Can not update config in black list.');
  }
  const state = configState(ctx);
  ctx.logger.info(`updateBrokerConfig, new config: [${[...props].map(([k, v]) => `${k}=${v}`).join(', ')}]`);
  for (const [key, value] of props) {
    const targets = [ctx.config as unknown as Record<string, unknown>, ctx.storeConfig as unknown as Record<string, unknown>];
    const results = targets.map((t) => applyConfigValue(t, key, value));
    if (results.includes('invalid')) ctx.logger.warn(`updateBrokerConfig: bad value for ${key}: ${value}`);
    if (results.every((r) => r === 'absent')) state.extra.set(key, value);
  }
  state.dataVersion.next();
  if (props.has('brokerPermission')) {
    ctx.topicConfigManager.dataVersion.next();
    ctx.registerBrokerAll(false).catch((e: Error) => ctx.logger.warn(`register after brokerPermission change failed: ${e.message}`));
  }
  return ok();
};

function configText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const getBrokerConfig: Handler = (ctx) => {
  const state = configState(ctx);
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (k: string, v: unknown): void => {
    if (seen.has(k)) return;
    seen.add(k);
    lines.push(`${k}=${k === 'adminHttpToken' && v ? '******' : configText(v)}`); // the dashboard token is not handed out
  };
  for (const [k, v] of Object.entries(ctx.config)) add(k, v);
  for (const [k, v] of Object.entries(ctx.storeConfig)) add(k, v);
  for (const [k, v] of state.extra) add(k, v);
  const body = Buffer.from(lines.join('\n') + '\n', 'utf8');
  return RemotingCommand.response(ResponseCode.SUCCESS, null, { version: JSON.stringify(state.dataVersion.toJSON()) }, body);
};

// ---------------------------------------------------------------- 28: runtime info

type Sample = { t: number; put: number; get: number };

/**
 * Samples put/get totals once a second (last 10 minutes) and once a minute (last day): the TPS
 * figures and day counters of runtime info, and the minute/hour/day items of VIEW_BROKER_STATS_DATA.
 */
class RuntimeSampler {
  private readonly seconds: Sample[] = [];
  private readonly minutes: Sample[] = [];
  private ticks = 0;
  private day = new Date().toDateString();
  putTodayMorning = 0;
  getTodayMorning = 0;
  putYesterdayMorning = 0;
  getYesterdayMorning = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ctx: BrokerContext) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private now(): Sample {
    return { t: Date.now(), put: this.ctx.stats.putMessages, get: this.ctx.stats.getMessages };
  }

  sample(): void {
    const x = this.now();
    const today = new Date(x.t).toDateString();
    if (today !== this.day) {
      this.day = today;
      this.putYesterdayMorning = this.putTodayMorning;
      this.getYesterdayMorning = this.getTodayMorning;
      this.putTodayMorning = x.put;
      this.getTodayMorning = x.get;
    }
    this.seconds.push(x);
    if (this.seconds.length > 601) this.seconds.shift();
    if (this.ticks++ % 60 === 0) {
      this.minutes.push(x);
      if (this.minutes.length > 1441) this.minutes.shift();
    }
  }

  /** Messages counted in the last `windowMs` (as far back as samples go) and the span measured. */
  window(which: 'put' | 'get', windowMs: number): { sum: number; ms: number } {
    const ring = windowMs <= 600_000 ? this.seconds : this.minutes;
    const cur = this.now();
    let base = ring[0];
    for (const x of ring) {
      if (cur.t - x.t <= windowMs) break;
      base = x;
    }
    if (!base || cur.t - base.t <= 0) return { sum: 0, ms: 0 };
    return { sum: cur[which] - base[which], ms: cur.t - base.t };
  }

  /** Messages per second over the last `windowMs`. */
  tps(which: 'put' | 'get', windowMs: number): number {
    const w = this.window(which, windowMs);
    return w.ms > 0 ? (w.sum * 1000) / w.ms : 0;
  }
}
const samplers = new WeakMap<BrokerContext, RuntimeSampler>();

function humanBytes(n: number): string {
  // MixAll.humanReadableByteCount(bytes, si=false)
  if (n < 1024) return `${n} B`;
  const exp = Math.min(6, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** exp).toFixed(1)} ${'KMGTPE'[exp - 1]}iB`;
}

function runtimeText(uptimeMs: number): string {
  const s = Math.floor(uptimeMs / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}

function diskInfo(path: string): { ratio: string; capacity: string } | null {
  try {
    const st = statfsSync(path);
    const total = st.blocks * st.bsize;
    const free = st.bavail * st.bsize;
    if (total <= 0) return null;
    return {
      ratio: String(Math.round(((total - free) / total) * 100) / 100),
      capacity: `Total : ${humanBytes(total)}, Free : ${humanBytes(free)}.`,
    };
  } catch {
    return null;
  }
}

/** The GET_BROKER_RUNTIME_INFO table: Apache's key set, filled from our stats and store. */
export function brokerRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  const sampler = samplers.get(ctx) ?? new RuntimeSampler(ctx);
  samplers.set(ctx, sampler);
  const st = ctx.stats;
  const store = ctx.store;
  const tps3 = (w: 'put' | 'get'): string => `${sampler.tps(w, 10_000)} ${sampler.tps(w, 60_000)} ${sampler.tps(w, 600_000)}`;
  const root = ctx.storeConfig.storePathRootDir;
  const commitLogPath = ctx.storeConfig.storePathCommitLog ?? `${root}/commitlog`;
  const disk = diskInfo(root);
  const info: Record<string, string> = {
    brokerVersionDesc: BROKER_VERSION_DESC,
    brokerVersion: String(BROKER_VERSION),
    bootTimestamp: String(ctx.bootTimestamp),
    runtime: runtimeText(Date.now() - ctx.bootTimestamp),
    msgPutTotalYesterdayMorning: String(sampler.putYesterdayMorning),
    msgPutTotalTodayMorning: String(sampler.putTodayMorning),
    msgPutTotalTodayNow: String(st.putMessages),
    msgGetTotalYesterdayMorning: String(sampler.getYesterdayMorning),
    msgGetTotalTodayMorning: String(sampler.getTodayMorning),
    msgGetTotalTodayNow: String(st.getMessages),
    putMessageTimesTotal: String(st.putMessages),
    putMessageSizeTotal: String(st.putBytes),
    putMessageAverageSize: st.putMessages > 0 ? (st.putBytes / st.putMessages).toFixed(2) : '0.0',
    putMessageFailedTimes: String(st.sendRejected),
    putTps: tps3('put'),
    getTotalTps: tps3('get'),
    getTransferedTps: tps3('get'),
    getFoundTps: tps3('get'),
    getMissTps: '0.0 0.0 0.0',
    sendThreadPoolQueueSize: '0', sendThreadPoolQueueCapacity: '10000', sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueSize: '0', pullThreadPoolQueueCapacity: '100000', pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueSize: '0', queryThreadPoolQueueCapacity: '20000', queryThreadPoolQueueHeadWaitTimeMills: '0',
    EndTransactionQueueSize: '0', EndTransactionThreadPoolQueueCapacity: '100000',
    dispatchBehindBytes: String(store.dispatchBehindBytes()),
    pageCacheLockTimeMills: '0',
    commitLogMinOffset: String(store.getMinPhyOffset()),
    commitLogMaxOffset: String(store.getMaxPhyOffset()),
    earliestMessageTimeStamp: String(earliestMessageTime(ctx)),
    startAcceptSendRequestTimeStamp: '0',
    remainTransientStoreBufferNumbs: '2147483647',
    remainHowManyDataToFlush: '0 B',
    dispatchMaxBuffer: '0',
    getMessageEntireTimeMax: '0',
    putMessageEntireTimeMax: '0',
    putLatency99: '0.00',
    putLatency999: '0.00',
    putMessageDistributeTime: '[<=0ms]:0 [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ',
  };
  const delayOffsets = (ctx.scheduleMessageService as { offsetTable?: Map<number, number> }).offsetTable;
  for (const [level, offset] of delayOffsets ?? []) {
    info[`scheduleMessageOffset_${level}`] = `${offset},${store.getMaxOffsetInQueue('SCHEDULE_TOPIC_XXXX', level - 1)}`;
  }
  if (disk) {
    info.commitLogDiskRatio = disk.ratio;
    info[`commitLogDiskRatio_${commitLogPath}`] = disk.ratio;
    info.consumeQueueDiskRatio = disk.ratio;
    info.commitLogDirCapacity = disk.capacity;
  }
  return { ...info, ...safeStoreRuntimeInfo(ctx) };
}

/** Store time of the first record in the commit log, -1 when there is none (clusterList's hours). */
function earliestMessageTime(ctx: BrokerContext): number {
  try {
    const rec = ctx.store.lookMessageByOffset(ctx.store.getMinPhyOffset());
    if (!rec || rec.length < 72) return -1;
    const bornHost = rec.readInt32BE(36) & 0x10 ? 20 : 8; // sysFlag BORNHOST_V6_FLAG
    return Number(rec.readBigInt64BE(48 + bornHost));
  } catch {
    return -1;
  }
}

function safeStoreRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  try {
    return { ...ctx.store.runtimeInfo(), ...ctx.ha?.runtimeInfo() }; // ha/: replication fields
  } catch (e) {
    ctx.logger.warn(`store runtime info failed: ${(e as Error).message}`);
    return {};
  }
}

const getBrokerRuntimeInfo: Handler = (ctx) => ok(json({ table: brokerRuntimeInfo(ctx) }));

// ---------------------------------------------------------------- 200, 207: subscription groups

const updateAndCreateSubscriptionGroup: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx);
  if (refused) return refused;
  const body = req.bodyBuffer();
  if (body !== null && body.length > 0) {
    const raw = parseFastJson(body.toString('utf8')) as Record<string, unknown> | null;
    if (raw && typeof raw.groupName === 'string' && raw.groupName !== '') {
      const m = ctx.subscriptionGroupManager;
      const base = m.newConfig(raw.groupName);
      const merged = { ...base } as unknown as Record<string, unknown>;
      for (const k of Object.keys(base)) {
        if (raw[k] !== undefined && raw[k] !== null && typeof raw[k] === typeof merged[k]) merged[k] = raw[k];
      }
      m.updateSubscriptionGroupConfig(merged as unknown as typeof base);
    }
  }
  return ok();
};

const deleteSubscriptionGroup: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx);
  if (refused) return refused;
  const group = reqStr(req.extFields, 'groupName');
  ctx.subscriptionGroupManager.deleteSubscriptionGroupConfig(group);
  if (optBool(req.extFields, 'removeOffset') === true) ctx.consumerOffsetManager.removeGroup(group);
  return ok();
};

// ---------------------------------------------------------------- 202: topic stats

const getTopicStatsInfo: Handler = (ctx, req) => {
  const topic = reqStr(req.extFields, 'topic');
  const tc = ctx.topicConfigManager.selectTopicConfig(topic);
  if (!tc) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const table = new FastJsonMap();
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const min = Math.max(0, ctx.store.getMinOffsetInQueue(topic, q));
    const max = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const lastUpdateTimestamp = max > 0 ? ctx.store.getMessageStoreTimeStamp(topic, q, max - 1) : 0;
    table.set(mqKey(ctx, topic, q), { lastUpdateTimestamp, maxOffset: max, minOffset: min });
  }
  return ok(json({ offsetTable: table }));
};

// ---------------------------------------------------------------- 203, 204: connections

/** Names of the 4.9.8 Java LanguageCode enum; mqadmin's fastjson reads another name (NODE_JS) as null. */
const JAVA_LANGUAGE_CODES = new Set(['JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO', 'PHP', 'OMS', 'RUST']);

function connectionJson(info: ClientChannelInfo): Record<string, unknown> {
  const language = JAVA_LANGUAGE_CODES.has(info.language) ? info.language : 'OTHER';
  return { clientAddr: info.channel.remoteAddress, clientId: info.clientId, language, version: info.version };
}

const getConsumerConnectionList: Handler = (ctx, req) => {
  const group = reqStr(req.extFields, 'consumerGroup');
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  if (!g) return fail(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
  const subscriptionTable: Record<string, unknown> = {};
  for (const [topic, sd] of g.subscriptions) subscriptionTable[topic] = subscriptionJson(sd);
  return ok(json({
    connectionSet: [...g.channels.values()].map(connectionJson),
    consumeFromWhere: g.consumeFromWhere,
    consumeType: g.consumeType,
    messageModel: g.messageModel,
    subscriptionTable,
  }));
};

const getProducerConnectionList: Handler = (ctx, req) => {
  const group = reqStr(req.extFields, 'producerGroup');
  const channels = ctx.producerManager.groups.get(group);
  if (!channels) return fail(ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
  return ok(json({ connectionSet: [...channels.values()].map(connectionJson) }));
};

// ---------------------------------------------------------------- 208, 317: consume stats

interface OffsetWrapper { brokerOffset: number; consumerOffset: number; lastTimestamp: number }
interface ConsumeStats { consumeTps: number; offsetTable: FastJsonMap; diff: number }

function queueOffsets(ctx: BrokerContext, group: string, topic: string, queueId: number): OffsetWrapper {
  const brokerOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, queueId));
  const consumerOffset = Math.max(0, ctx.consumerOffsetManager.queryOffset(group, topic, queueId));
  let lastTimestamp = 0;
  if (consumerOffset - 1 >= 0) {
    const ts = ctx.store.getMessageStoreTimeStamp(topic, queueId, consumerOffset - 1);
    if (ts > 0) lastTimestamp = ts;
  }
  return { brokerOffset, consumerOffset, lastTimestamp };
}

/** A group's subscribed topics hide topics it only has stale offsets on (Apache's rule). */
function subscriptionHides(ctx: BrokerContext, group: string, topic: string): boolean {
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  return !!g && g.subscriptions.size > 0 && !g.subscriptions.has(topic);
}

function addTopicStats(ctx: BrokerContext, cs: ConsumeStats, group: string, topic: string, queueNums: number): void {
  for (let q = 0; q < queueNums; q++) {
    const w = queueOffsets(ctx, group, topic, q);
    cs.offsetTable.set(mqKey(ctx, topic, q), w);
    cs.diff += w.brokerOffset - w.consumerOffset;
  }
}

/** Apache's tpsGroupGetNums: messages pulled by group from topic per second over the last minute. */
function groupGetTps(ctx: BrokerContext, group: string, topic: string): number {
  const w = ctx.stats.groupGetNums.window(`${topic}@${group}`, 60_000);
  return w ? w.sum / 60 : 0;
}

function encodeConsumeStats(cs: ConsumeStats): string {
  return `{"consumeTps":${javaDouble(cs.consumeTps)},"offsetTable":${stringifyFastJson(cs.offsetTable)}}`;
}

const getConsumeStats: Handler = (ctx, req) => {
  const group = reqStr(req.extFields, 'consumerGroup');
  const onlyTopic = optStr(req.extFields, 'topic');
  const topics = onlyTopic && onlyTopic.trim() !== '' ? [onlyTopic] : [...ctx.consumerOffsetManager.whichTopicByConsumer(group)];
  const cs: ConsumeStats = { consumeTps: 0, offsetTable: new FastJsonMap(), diff: 0 };
  for (const topic of topics) {
    const tc = ctx.topicConfigManager.selectTopicConfig(topic);
    if (!tc || subscriptionHides(ctx, group, topic)) continue;
    addTopicStats(ctx, cs, group, topic, tc.readQueueNums);
    cs.consumeTps += groupGetTps(ctx, group, topic);
  }
  return ok(Buffer.from(encodeConsumeStats(cs), 'utf8'));
};

const getBrokerConsumeStats: Handler = (ctx, req) => {
  const isOrder = optBool(req.extFields, 'isOrder') === true;
  let totalDiff = 0;
  const perGroup: string[] = [];
  for (const group of ctx.subscriptionGroupManager.table.keys()) {
    const list: string[] = [];
    for (const topic of ctx.consumerOffsetManager.whichTopicByConsumer(group)) {
      const tc = ctx.topicConfigManager.selectTopicConfig(topic);
      if (!tc || (isOrder && !tc.order) || subscriptionHides(ctx, group, topic)) continue;
      const cs: ConsumeStats = { consumeTps: 0, offsetTable: new FastJsonMap(), diff: 0 };
      addTopicStats(ctx, cs, group, topic, tc.writeQueueNums);
      cs.consumeTps += groupGetTps(ctx, group, topic);
      totalDiff += cs.diff;
      list.push(encodeConsumeStats(cs));
    }
    perGroup.push(`{${JSON.stringify(group)}:[${list.join(',')}]}`);
  }
  const text = `{"brokerAddr":${JSON.stringify(ctx.brokerAddr)},"consumeStatsList":[${perGroup.join(',')}],"totalDiff":${totalDiff}}`;
  return ok(Buffer.from(text, 'utf8'));
};

// ---------------------------------------------------------------- 222: reset offset

const invokeBrokerToResetOffset: Handler = (ctx, req) => {
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const group = reqStr(ext, 'group');
  const timestamp = reqInt(ext, 'timestamp');
  const isForce = optBool(ext, 'isForce') === true;
  const tc = ctx.topicConfigManager.selectTopicConfig(topic);
  if (!tc) {
    return fail(ResponseCode.SYSTEM_ERROR, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);
  }
  const offsets: Array<[number, number]> = [];
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const consumerOffset = ctx.consumerOffsetManager.queryOffset(group, topic, q);
    if (consumerOffset === -1) return fail(ResponseCode.SYSTEM_ERROR, `THe consumer group <${group}> not exist`);
    let target = timestamp === -1 ? ctx.store.getMaxOffsetInQueue(topic, q) : ctx.store.getOffsetInQueueByTime(topic, q, timestamp);
    if (target < 0) target = 0;
    offsets.push([q, isForce || target < consumerOffset ? target : consumerOffset]);
  }
  const table = new FastJsonMap(offsets.map(([q, off]) => [mqKey(ctx, topic, q), off]));
  const body = json({ offsetTable: table });
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  if (!g || g.channels.size === 0) {
    return fail(ResponseCode.CONSUMER_NOT_ONLINE,
      `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`);
  }
  // Commit here too, so the offsets hold even if a client misses the notice.
  for (const [q, off] of offsets) ctx.consumerOffsetManager.commitOffset(group, topic, q, off);
  // A request from the C++ admin makes the notice use the list form C++ clients read.
  const noticeBody = req.language !== 'CPP' ? body : json({
    offsetTable: offsets.map(([q, offset]) => ({ brokerName: ctx.config.brokerName, offset, queueId: q, topic })),
  });
  for (const info of g.channels.values()) {
    const notice = RemotingCommand.request(RequestCode.RESET_CONSUMER_CLIENT_OFFSET,
      { topic, group, timestamp, isForce: false }, noticeBody);
    notice.markOneway();
    try {
      info.channel.invokeOneway(notice);
    } catch (e) {
      ctx.logger.warn(`[reset-offset] notify ${info.clientId} failed: ${(e as Error).message}`);
    }
  }
  return ok(body);
};

// ---------------------------------------------------------------- 300, 306, 315

const queryTopicConsumeByWho: Handler = (ctx, req) => {
  const topic = reqStr(req.extFields, 'topic');
  const groups = new Set(ctx.consumerManager.queryTopicConsumeByWho(topic));
  for (const g of ctx.consumerOffsetManager.whichGroupByTopic(topic)) groups.add(g);
  return ok(json({ groupList: [...groups] }));
};

const cleanExpiredConsumeQueue: Handler = (ctx) => {
  ctx.logger.warn('invoke cleanExpiredConsumeQueue start.');
  ctx.store.cleanExpiredConsumeQueues();
  return ok();
};

/** Broker-wide counters this broker keeps, keyed by cluster name. */
const BROKER_STATS: Record<string, 'put' | 'get'> = { BROKER_PUT_NUMS: 'put', BROKER_GET_NUMS: 'get' };

type StatsWindow = { sum: number; times: number; ms?: number };

function statsItemJson({ sum, times, ms }: StatsWindow, windowMs: number): string {
  const span = ms ?? windowMs;
  const tps = span > 0 ? (sum * 1000) / span : 0;
  const avgpt = times > 0 ? sum / times : 0;
  return `{"avgpt":${javaDouble(avgpt)},"sum":${sum},"tps":${javaDouble(tps)}}`;
}

function brokerStatsDataText(item: (windowMs: number) => StatsWindow): string {
  return `{"statsDay":${statsItemJson(item(86_400_000), 86_400_000)},"statsHour":${statsItemJson(item(3_600_000), 3_600_000)},`
    + `"statsMinute":${statsItemJson(item(60_000), 60_000)}}`;
}

/**
 * VIEW_BROKER_STATS_DATA (statsAll, brokerConsumeStats): BrokerStatsData for TOPIC_PUT_NUMS <topic>,
 * GROUP_GET_NUMS <topic>@<group>, BROKER_PUT_NUMS / BROKER_GET_NUMS <cluster>. A key never counted is
 * SYSTEM_ERROR "The stats <name> <key> not exist", as Apache answers (statsAll skips it).
 */
const viewBrokerStatsData: Handler = (ctx, req) => {
  const name = reqStr(req.extFields, 'statsName');
  const key = reqStr(req.extFields, 'statsKey');
  const notExist = () => fail(ResponseCode.SYSTEM_ERROR, `The stats <${name}> <${key}> not exist`);
  const keyed = name === 'TOPIC_PUT_NUMS' ? ctx.stats.topicPutNums : name === 'GROUP_GET_NUMS' ? ctx.stats.groupGetNums : null;
  if (keyed) {
    if (!keyed.has(key)) return notExist();
    const now = Date.now();
    return ok(Buffer.from(brokerStatsDataText((w) => keyed.window(key, w, now)!), 'utf8'));
  }
  const which = BROKER_STATS[name];
  const sampler = samplers.get(ctx);
  if (!which || key !== ctx.config.brokerClusterName || !sampler) return notExist();
  return ok(Buffer.from(brokerStatsDataText((w) => {
    const x = sampler.window(which, w);
    return { sum: x.sum, times: 0, ms: x.ms };
  }), 'utf8'));
};

// ---------------------------------------------------------------- 303, 305, 314

const queryConsumeTimeSpan: Handler = (ctx, req) => {
  const topic = reqStr(req.extFields, 'topic');
  const group = reqStr(req.extFields, 'group');
  const tc = ctx.topicConfigManager.selectTopicConfig(topic);
  if (!tc) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const store = ctx.store;
  const consumeTimeSpanSet: Record<string, unknown>[] = [];
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const minTimeStamp = store.getEarliestMessageTime(topic, q);
    const max = store.getMaxOffsetInQueue(topic, q);
    const maxTimeStamp = store.getMessageStoreTimeStamp(topic, q, max - 1);
    const consumerOffset = ctx.consumerOffsetManager.queryOffset(group, topic, q);
    const consumeTimeStamp = consumerOffset > 0 ? store.getMessageStoreTimeStamp(topic, q, consumerOffset - 1) : minTimeStamp;
    const delayTime = consumerOffset < max ? Date.now() - store.getMessageStoreTimeStamp(topic, q, consumerOffset) : 0;
    consumeTimeSpanSet.push({ consumeTimeStamp, delayTime, maxTimeStamp, messageQueue: mqKey(ctx, topic, q), minTimeStamp });
  }
  return ok(json({ consumeTimeSpanSet }));
};

const getSystemTopicListFromBroker: Handler = () => ok(json({ topicList: [...SYSTEM_TOPICS] }));

/** Copies a group's committed offsets to another group (all its topics when none is named). */
const cloneGroupOffset: Handler = (ctx, req) => {
  const ext = req.extFields;
  const src = reqStr(ext, 'srcGroup');
  const dest = reqStr(ext, 'destGroup');
  const only = optStr(ext, 'topic');
  const offline = optBool(ext, 'offline') === true;
  const topics = only && only.trim() !== '' ? [only] : [...ctx.consumerOffsetManager.whichTopicByConsumer(src)];
  for (const topic of topics) {
    if (!ctx.topicConfigManager.selectTopicConfig(topic)) continue;
    if (!offline && subscriptionHides(ctx, src, topic)) continue;
    for (const [q, off] of ctx.consumerOffsetManager.queryOffsets(src, topic)) {
      ctx.consumerOffsetManager.commitOffset(dest, topic, q, off);
    }
  }
  return ok();
};

// ---------------------------------------------------------------- 307, 309: forwarded to a consumer

async function callConsumer(ctx: BrokerContext, req: RemotingCommand, body: Buffer | null): Promise<RemotingCommand> {
  const group = reqStr(req.extFields, 'consumerGroup');
  const clientId = reqStr(req.extFields, 'clientId');
  const info = ctx.consumerManager.getConsumerGroupInfo(group)?.findChannelByClientId(clientId);
  if (!info) return fail(ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
  const forward = RemotingCommand.request(req.code, { ...req.extFields }, body);
  try {
    return await info.channel.invoke(forward, CALL_CLIENT_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof RemotingError && e.code === RemotingErrorCode.TIMEOUT) {
      return fail(ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: ${e.message}`);
    }
    return fail(ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${(e as Error).message}`);
  }
}

const getConsumerRunningInfo: Handler = (ctx, req) => callConsumer(ctx, req, req.bodyBuffer());

const consumeMessageDirectly: Handler = (ctx, req) => {
  const msgId = optStr(req.extFields, 'msgId');
  const decoded = msgId ? tryDecodeOffsetMsgId(msgId) : null;
  const record = decoded ? ctx.store.lookMessageByOffset(decoded.offset) : null;
  if (!record) return fail(ResponseCode.SYSTEM_ERROR, `can not find message by msgId ${msgId ?? ''}`);
  req.setExt('brokerName', ctx.config.brokerName);
  return callConsumer(ctx, req, Buffer.from(record));
};

// ---------------------------------------------------------------- 223: consumer status (getConsumerStatus)

/** MQVersion.Version.V3_0_7_SNAPSHOT.ordinal(): older clients cannot answer 221. */
const V3_0_7_SNAPSHOT = 28;

/**
 * INVOKE_BROKER_TO_GET_CONSUMER_STATUS: asks each consumer of the group (or only `clientAddr`, a
 * clientId) with GET_CONSUMER_STATUS_FROM_CLIENT (221) and answers GetConsumerStatusBody with
 * consumerTable = clientId -> {MessageQueue: offset}. A client that fails or times out is left out.
 */
const invokeBrokerToGetConsumerStatus: Handler = async (ctx, req) => {
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const group = reqStr(ext, 'group');
  const origin = optStr(ext, 'clientAddr');
  const onlyOne = origin !== undefined && origin.trim() !== '';
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  if (!g || g.channels.size === 0) {
    return fail(ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
  }
  const consumerTable: Record<string, FastJsonMap> = {};
  for (const info of [...g.channels.values()]) {
    if (info.version < V3_0_7_SNAPSHOT) {
      return fail(ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${info.version}`);
    }
    if (onlyOne && origin !== info.clientId) continue;
    try {
      const ask = RemotingCommand.request(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group });
      const res = await info.channel.invoke(ask, CALL_CLIENT_TIMEOUT_MS);
      const text = res.code === ResponseCode.SUCCESS ? res.bodyBuffer()?.toString('utf8') : undefined;
      if (text) {
        const parsed = parseFastJson(text) as { messageQueueTable?: Record<string, unknown> } | null;
        const table = new FastJsonMap();
        for (const [k, v] of Object.entries(parsed?.messageQueueTable ?? {})) table.set(parseFastJson(k), Number(v));
        consumerTable[info.clientId] = table;
      }
    } catch (e) {
      ctx.logger.warn(`[get-consumer-status] ${group} ${info.clientId}: ${(e as Error).message}`);
    }
    if (onlyOne) break;
  }
  return ok(json({ consumerTable, messageQueueTable: {} }));
};

// ---------------------------------------------------------------- 321: consume queue inspection

function tagsCodeOfRecord(topic: string, record: Buffer | null): number {
  if (!record || topic === 'SCHEDULE_TOPIC_XXXX') return 0;
  try {
    return tagsCodeOf(recordPropertiesText(record));
  } catch {
    return 0;
  }
}

function filterDataText(sd: SubscriptionData | undefined, group: string, topic: string): string {
  if (!sd) return `${group}@${topic} is not online!`;
  if (sd.expressionType === 'TAG') return 'null';
  return JSON.stringify({ consumerGroup: group, expression: sd.subString, expressionType: sd.expressionType,
    topic, version: sd.subVersion }, null, '\t');
}

const queryConsumeQueue: Handler = (ctx, req) => {
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const queueId = reqInt(ext, 'queueId');
  const index = reqInt(ext, 'index');
  const count = Math.min(QUERY_CONSUME_QUEUE_COUNT_MAX, Math.max(0, reqInt(ext, 'count')));
  const group = optStr(ext, 'consumerGroup');
  const tc = ctx.topicConfigManager.selectTopicConfig(topic);
  if (!tc || queueId < 0 || queueId >= Math.max(tc.readQueueNums, tc.writeQueueNums)) {
    return fail(ResponseCode.SYSTEM_ERROR, `${queueId}@${topic} is not exist!`);
  }
  const minQueueIndex = ctx.store.getMinOffsetInQueue(topic, queueId);
  const maxQueueIndex = ctx.store.getMaxOffsetInQueue(topic, queueId);
  if (index < minQueueIndex || index >= maxQueueIndex) {
    return ok(null, `Index ${index} of ${queueId}@${topic} is not exist!`);
  }
  const body: Record<string, unknown> = {};
  if (group !== undefined) {
    const sd = ctx.consumerManager.findSubscriptionData(group, topic);
    body.filterData = filterDataText(sd, group, topic);
  }
  body.maxQueueIndex = maxQueueIndex;
  body.minQueueIndex = minQueueIndex;
  const queueData: Record<string, unknown>[] = [];
  for (let i = index; i < Math.min(maxQueueIndex, index + count); i++) {
    const physicOffset = ctx.store.getCommitLogOffsetInQueue(topic, queueId, i);
    const record = physicOffset >= 0 ? ctx.store.lookMessageByOffset(physicOffset) : null;
    queueData.push({ eval: false, physicOffset, physicSize: record ? record.length : 0, tagsCode: tagsCodeOfRecord(topic, record) });
  }
  body.queueData = queueData;
  if (group !== undefined) {
    const sd = ctx.consumerManager.findSubscriptionData(group, topic);
    if (sd) body.subscriptionData = subscriptionJson(sd);
  }
  return ok(json(body), NOT_SET_REMARK);
};

// ---------------------------------------------------------------- registration

export const ADMIN_HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [RequestCode.UPDATE_AND_CREATE_TOPIC, updateAndCreateTopic],
  [RequestCode.GET_ALL_TOPIC_CONFIG, getAllTopicConfig],
  [RequestCode.UPDATE_BROKER_CONFIG, updateBrokerConfig],
  [RequestCode.GET_BROKER_CONFIG, getBrokerConfig],
  [RequestCode.GET_BROKER_RUNTIME_INFO, getBrokerRuntimeInfo],
  [RequestCode.GET_ALL_CONSUMER_OFFSET, getAllConsumerOffset],
  [RequestCode.GET_ALL_DELAY_OFFSET, getAllDelayOffset],
  [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, updateAndCreateSubscriptionGroup],
  [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, getAllSubscriptionGroup],
  [RequestCode.GET_TOPIC_STATS_INFO, getTopicStatsInfo],
  [RequestCode.GET_CONSUMER_CONNECTION_LIST, getConsumerConnectionList],
  [RequestCode.GET_PRODUCER_CONNECTION_LIST, getProducerConnectionList],
  [RequestCode.DELETE_SUBSCRIPTIONGROUP, deleteSubscriptionGroup],
  [RequestCode.GET_CONSUME_STATS, getConsumeStats],
  [RequestCode.DELETE_TOPIC_IN_BROKER, deleteTopicInBroker],
  [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, invokeBrokerToResetOffset],
  [RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, invokeBrokerToGetConsumerStatus],
  [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, queryTopicConsumeByWho],
  [RequestCode.QUERY_CONSUME_TIME_SPAN, queryConsumeTimeSpan],
  [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, getSystemTopicListFromBroker],
  [RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, cleanExpiredConsumeQueue],
  [RequestCode.GET_CONSUMER_RUNNING_INFO, getConsumerRunningInfo],
  [RequestCode.CONSUME_MESSAGE_DIRECTLY, consumeMessageDirectly],
  [RequestCode.CLONE_GROUP_OFFSET, cloneGroupOffset],
  [RequestCode.VIEW_BROKER_STATS_DATA, viewBrokerStatsData],
  [RequestCode.GET_BROKER_CONSUME_STATS, getBrokerConsumeStats],
  [RequestCode.QUERY_CONSUME_QUEUE, queryConsumeQueue],
]);

export function requests(ctx: BrokerContext): RequestFamily {
  if (!samplers.has(ctx)) samplers.set(ctx, new RuntimeSampler(ctx));
  const family = new Map<number, Processor>();
  for (const [code, handler] of ADMIN_HANDLERS) family.set(code, (req, ch) => handler(ctx, req, ch));
  return family;
}

/** Stops the runtime-info sampler of `ctx` (the controller calls it on shutdown; optional). */
export function unregister(ctx: BrokerContext): void {
  samplers.get(ctx)?.stop();
  samplers.delete(ctx);
}

/** Exposed for tests: Java's Double.toString of integral values. */
export const _internal = { javaDouble, isSystemTopic };
