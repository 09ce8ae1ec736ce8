// Consumer offsets kept by the broker: QUERY_CONSUMER_OFFSET (14) and UPDATE_CONSUMER_OFFSET (15).
// consumerGroup, topic, queueId (and commitOffset for an update) mandatory; bname optional.
// The query's reply header, `offset`, is the one of queue-offset.ts (OffsetResponseHeader).

import { optStr, reqInt, reqStr, withBrokerName, type HeaderExt } from './fields.js';

export interface QueryConsumerOffsetRequestHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  brokerName?: string | undefined;
}

export interface UpdateConsumerOffsetRequestHeader extends QueryConsumerOffsetRequestHeader {
  commitOffset: number;
}

export function decodeQueryConsumerOffsetRequestHeader(ext: HeaderExt): QueryConsumerOffsetRequestHeader {
  return { consumerGroup: reqStr(ext, 'consumerGroup'), topic: reqStr(ext, 'topic'), queueId: reqInt(ext, 'queueId'), brokerName: optStr(ext, 'bname') };
}

export function decodeUpdateConsumerOffsetRequestHeader(ext: HeaderExt): UpdateConsumerOffsetRequestHeader {
  const group = reqStr(ext, 'consumerGroup');
  const topic = reqStr(ext, 'topic');
  const queueId = reqInt(ext, 'queueId');
  return { consumerGroup: group, topic, queueId, commitOffset: reqInt(ext, 'commitOffset'), brokerName: optStr(ext, 'bname') };
}

/** As the client sends it: topic, consumerGroup, queueId, [bname]. */
export function encodeQueryConsumerOffsetRequestHeader(h: QueryConsumerOffsetRequestHeader): Record<string, string> {
  return withBrokerName({ topic: h.topic, consumerGroup: h.consumerGroup, queueId: String(h.queueId) }, h.brokerName);
}

/** As the client sends it: topic, consumerGroup, queueId, commitOffset, [bname]. */
export function encodeUpdateConsumerOffsetRequestHeader(h: UpdateConsumerOffsetRequestHeader): Record<string, string> {
  const f = { topic: h.topic, consumerGroup: h.consumerGroup, queueId: String(h.queueId), commitOffset: String(h.commitOffset) };
  return withBrokerName(f, h.brokerName);
}
