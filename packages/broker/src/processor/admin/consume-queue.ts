// Consume queues: CLEAN_EXPIRED_CONSUMEQUEUE (306), QUERY_CONSUME_QUEUE (321).
import { recordPropertiesText, ResponseCode } from '@rmq/remoting';
import { optStr, reqInt, reqStr } from '../../common/header.js';
import { tagsCodeOf } from '../../common/properties.js';
import { subscriptionJson, type SubscriptionData } from '../../client/subscription-data.js';
import { Handler, NOT_SET_REMARK, QUERY_CONSUME_QUEUE_COUNT_MAX, fail, json, ok } from './common.js';

// ---------------------------------------------------------------- 306

export const cleanExpiredConsumeQueue: Handler = (ctx) => {
  ctx.logger.warn('invoke cleanExpiredConsumeQueue start.');
  ctx.store.cleanExpiredConsumeQueues();
  return ok();
};

// ---------------------------------------------------------------- 321: consume queue inspection

export function tagsCodeOfRecord(topic: string, record: Buffer | null): number {
  if (!record || topic === 'SCHEDULE_TOPIC_XXXX') return 0;
  try {
    return tagsCodeOf(recordPropertiesText(record));
  } catch {
    return 0;
  }
}

export function filterDataText(sd: SubscriptionData | undefined, group: string, topic: string): string {
  if (!sd) return `${group}@${topic} is not online!`;
  if (sd.expressionType === 'TAG') return 'null';
  return JSON.stringify({ consumerGroup: group, expression: sd.subString, expressionType: sd.expressionType,
    topic, version: sd.subVersion }, null, '\t');
}

export const queryConsumeQueue: Handler = (ctx, req) => {
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
