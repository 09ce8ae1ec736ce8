// CONSUMER_SEND_MSG_BACK (36): ConsumerSendMsgBackRequestHeader. offset (the message's commit-log
// offset), group and delayLevel mandatory; originMsgId, originTopic, unitMode (false when absent),
// maxReconsumeTimes and bname optional. The reply has no header fields.

import { optBool, optInt, optStr, reqInt, reqStr, withBrokerName, type HeaderExt } from './fields.js';

export interface ConsumerSendMsgBackRequestHeader {
  offset: number;
  group: string;
  delayLevel: number;
  originMsgId?: string | undefined;
  originTopic?: string | undefined;
  unitMode: boolean;
  maxReconsumeTimes?: number | undefined;
  brokerName?: string | undefined;
}

export function decodeConsumerSendMsgBackRequestHeader(ext: HeaderExt): ConsumerSendMsgBackRequestHeader {
  return {
    offset: reqInt(ext, 'offset'),
    group: reqStr(ext, 'group'),
    delayLevel: reqInt(ext, 'delayLevel'),
    originMsgId: optStr(ext, 'originMsgId'),
    originTopic: optStr(ext, 'originTopic'),
    unitMode: optBool(ext, 'unitMode') ?? false,
    maxReconsumeTimes: optInt(ext, 'maxReconsumeTimes'),
    brokerName: optStr(ext, 'bname'),
  };
}

/** In the client's order: offset, group, delayLevel, [originMsgId], [originTopic], unitMode, [maxReconsumeTimes], [bname]. */
export function encodeConsumerSendMsgBackRequestHeader(h: ConsumerSendMsgBackRequestHeader): Record<string, string> {
  const f: Record<string, string> = { offset: String(h.offset), group: h.group, delayLevel: String(h.delayLevel) };
  if (h.originMsgId !== undefined) f['originMsgId'] = h.originMsgId;
  if (h.originTopic !== undefined) f['originTopic'] = h.originTopic;
  f['unitMode'] = String(h.unitMode);
  if (h.maxReconsumeTimes !== undefined) f['maxReconsumeTimes'] = String(h.maxReconsumeTimes);
  return withBrokerName(f, h.brokerName);
}
