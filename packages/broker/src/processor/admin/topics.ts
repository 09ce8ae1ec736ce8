// Topic administration: UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215), GET_TOPIC_STATS_INFO
// (202).
import { FastJsonMap, ResponseCode } from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import { optInt, optStr, reqInt, reqStr } from '../../common/header.js';
import { newTopicConfig, type TopicConfig } from '../../topic/topic-config-manager.js';
import { Handler, NOT_SET_REMARK, fail, json, mqKey, ok, slaveRefusal, topicRefusal } from './common.js';

// ---------------------------------------------------------------- 17, 215: topics

export const updateAndCreateTopic: Handler = (ctx, req) => {
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

export function registerSoon(ctx: BrokerContext): void {
  ctx.registerBrokerAll(true).catch((e: Error) => ctx.logger.warn(`register broker after admin change failed: ${e.message}`));
}

export const deleteTopicInBroker: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx) ?? topicRefusal(optStr(req.extFields, 'topic'));
  if (refused) return refused;
  const topic = reqStr(req.extFields, 'topic');
  ctx.topicConfigManager.deleteTopicConfig(topic);
  ctx.store.deleteTopics([topic]);
  return ok();
};

// ---------------------------------------------------------------- 202: topic stats

export const getTopicStatsInfo: Handler = (ctx, req) => {
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
