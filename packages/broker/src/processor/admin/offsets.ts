// Offsets and consume stats: GET_CONSUME_STATS (208), GET_BROKER_CONSUME_STATS (317),
// INVOKE_BROKER_TO_RESET_OFFSET (222), QUERY_CONSUME_TIME_SPAN (303), GET_SYSTEM_TOPIC_LIST_FROM_BROKER
// (305), CLONE_GROUP_OFFSET (314).
import { FastJsonMap, RemotingCommand, RequestCode, ResponseCode, stringifyFastJson } from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import { optBool, optStr, reqInt, reqStr } from '../../common/header.js';
import { Handler, SYSTEM_TOPICS, fail, javaDouble, json, mqKey, ok } from './common.js';

// ---------------------------------------------------------------- 208, 317: consume stats

export interface OffsetWrapper { brokerOffset: number; consumerOffset: number; lastTimestamp: number }
export interface ConsumeStats { consumeTps: number; offsetTable: FastJsonMap; diff: number }

export function queueOffsets(ctx: BrokerContext, group: string, topic: string, queueId: number): OffsetWrapper {
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
export function subscriptionHides(ctx: BrokerContext, group: string, topic: string): boolean {
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  return !!g && g.subscriptions.size > 0 && !g.subscriptions.has(topic);
}

export function addTopicStats(ctx: BrokerContext, cs: ConsumeStats, group: string, topic: string, queueNums: number): void {
  for (let q = 0; q < queueNums; q++) {
    const w = queueOffsets(ctx, group, topic, q);
    cs.offsetTable.set(mqKey(ctx, topic, q), w);
    cs.diff += w.brokerOffset - w.consumerOffset;
  }
}

/** Apache's tpsGroupGetNums: messages pulled by group from topic per second over the last minute. */
export function groupGetTps(ctx: BrokerContext, group: string, topic: string): number {
  const w = ctx.stats.groupGetNums.window(`${topic}@${group}`, 60_000);
  return w ? w.sum / 60 : 0;
}

export function encodeConsumeStats(cs: ConsumeStats): string {
  return `{"consumeTps":${javaDouble(cs.consumeTps)},"offsetTable":${stringifyFastJson(cs.offsetTable)}}`;
}

export const getConsumeStats: Handler = (ctx, req) => {
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

export const getBrokerConsumeStats: Handler = (ctx, req) => {
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

export const invokeBrokerToResetOffset: Handler = (ctx, req) => {
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

// ---------------------------------------------------------------- 303, 305, 314

export const queryConsumeTimeSpan: Handler = (ctx, req) => {
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

export const getSystemTopicListFromBroker: Handler = () => ok(json({ topicList: [...SYSTEM_TOPICS] }));

/** CloneGroupOffsetRequestHeader: srcGroup and destGroup required, topic and offline optional. */
function cloneGroupOffsetHeader(ext: RemotingCommand['extFields']): { src: string; dest: string; only: string | undefined; offline: boolean } {
  return { src: reqStr(ext, 'srcGroup'), dest: reqStr(ext, 'destGroup'), only: optStr(ext, 'topic'), offline: optBool(ext, 'offline') === true };
}

/** Copies a group's committed offsets to another group (all its topics when none is named). */
export const cloneGroupOffset: Handler = (ctx, req) => {
  const { src, dest, only, offline } = cloneGroupOffsetHeader(req.extFields);
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
