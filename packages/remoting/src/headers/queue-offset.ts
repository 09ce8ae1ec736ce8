// Offsets of one queue in the store: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31) and
// GET_EARLIEST_MSG_STORETIME (32) carry topic and queueId (mandatory) and bname; SEARCH_OFFSET_BY_TIMESTAMP
// (29) adds timestamp (mandatory).

import { numOr, optStr, reqInt, reqStr, withBrokerName, type HeaderExt } from './fields.js';

export interface QueueOffsetRequestHeader {
  topic: string;
  queueId: number;
  brokerName?: string | undefined;
}

export interface SearchOffsetRequestHeader extends QueueOffsetRequestHeader {
  timestamp: number;
}

export function decodeQueueOffsetRequestHeader(ext: HeaderExt): QueueOffsetRequestHeader {
  return { topic: reqStr(ext, 'topic'), queueId: reqInt(ext, 'queueId'), brokerName: optStr(ext, 'bname') };
}

export function decodeSearchOffsetRequestHeader(ext: HeaderExt): SearchOffsetRequestHeader {
  const topic = reqStr(ext, 'topic');
  const queueId = reqInt(ext, 'queueId');
  return { topic, queueId, timestamp: reqInt(ext, 'timestamp'), brokerName: optStr(ext, 'bname') };
}

/** topic, queueId, [timestamp], [bname]: what the client sends for 29..32. */
export function encodeQueueOffsetRequestHeader(h: QueueOffsetRequestHeader | SearchOffsetRequestHeader): Record<string, string> {
  const f: Record<string, string> = { topic: h.topic, queueId: String(h.queueId) };
  if ('timestamp' in h) f['timestamp'] = String(h.timestamp);
  return withBrokerName(f, h.brokerName);
}

// Replies: QueryConsumerOffsetResponseHeader, GetMaxOffsetResponseHeader, GetMinOffsetResponseHeader and
// SearchOffsetResponseHeader are all `offset`; GetEarliestMsgStoretimeResponseHeader is `timestamp`.
export interface OffsetResponseHeader { offset: number }
export interface EarliestMsgStoretimeResponseHeader { timestamp: number }

export function encodeOffsetResponseHeader(h: OffsetResponseHeader): Record<string, string> {
  return { offset: String(h.offset) };
}

/** Read leniently, as the client always has: absent or not a number gives -1. */
export function decodeOffsetResponseHeader(ext: HeaderExt): OffsetResponseHeader {
  return { offset: numOr(ext?.['offset'], -1) };
}

export function encodeEarliestMsgStoretimeResponseHeader(h: EarliestMsgStoretimeResponseHeader): Record<string, string> {
  return { timestamp: String(h.timestamp) };
}
