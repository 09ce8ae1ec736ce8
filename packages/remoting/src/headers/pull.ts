// PULL_MESSAGE (11): PullMessageRequestHeader and PullMessageResponseHeader.
// Request: consumerGroup, topic, queueId, queueOffset, maxMsgNums, sysFlag, commitOffset,
// suspendTimeoutMillis and subVersion mandatory; subscription, expressionType and bname optional.
// Response: suggestWhichBrokerId, nextBeginOffset, minOffset, maxOffset.

import { numOr, optStr, reqInt, reqStr, withBrokerName, type HeaderExt } from './fields.js';

export interface PullMessageRequestHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription?: string | undefined;
  subVersion: number;
  expressionType?: string | undefined;
  brokerName?: string | undefined;
}

/** Read in the order of the fields above: the first missing mandatory one is the one named. */
export function decodePullMessageRequestHeader(ext: HeaderExt): PullMessageRequestHeader {
  return {
    consumerGroup: reqStr(ext, 'consumerGroup'),
    topic: reqStr(ext, 'topic'),
    queueId: reqInt(ext, 'queueId'),
    queueOffset: reqInt(ext, 'queueOffset'),
    maxMsgNums: reqInt(ext, 'maxMsgNums'),
    sysFlag: reqInt(ext, 'sysFlag'),
    commitOffset: reqInt(ext, 'commitOffset'),
    suspendTimeoutMillis: reqInt(ext, 'suspendTimeoutMillis'),
    subscription: optStr(ext, 'subscription'),
    subVersion: reqInt(ext, 'subVersion'),
    expressionType: optStr(ext, 'expressionType'),
    brokerName: optStr(ext, 'bname'),
  };
}

/** The fields as the client sends them; the broker name travels as `bname`. */
export function encodePullMessageRequestHeader(h: PullMessageRequestHeader): Record<string, string> {
  const f: Record<string, string> = {
    consumerGroup: h.consumerGroup,
    topic: h.topic,
    queueId: String(h.queueId),
    queueOffset: String(h.queueOffset),
    maxMsgNums: String(h.maxMsgNums),
    sysFlag: String(h.sysFlag),
    commitOffset: String(h.commitOffset),
    suspendTimeoutMillis: String(h.suspendTimeoutMillis),
  };
  if (h.subscription !== undefined) f['subscription'] = h.subscription;
  f['subVersion'] = String(h.subVersion);
  if (h.expressionType !== undefined) f['expressionType'] = h.expressionType;
  return withBrokerName(f, h.brokerName);
}

export interface PullMessageResponseHeader {
  suggestWhichBrokerId: number;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** In the broker's order: suggestWhichBrokerId, nextBeginOffset, minOffset, maxOffset. */
export function encodePullMessageResponseHeader(h: PullMessageResponseHeader): Record<string, string> {
  return {
    suggestWhichBrokerId: String(h.suggestWhichBrokerId), nextBeginOffset: String(h.nextBeginOffset),
    minOffset: String(h.minOffset), maxOffset: String(h.maxOffset),
  };
}

/**
 * A pull reply's header, read leniently as the client always has: an absent nextBeginOffset stays
 * at the request's offset (`requestOffset`), the others default to 0.
 */
export function decodePullMessageResponseHeader(ext: HeaderExt, requestOffset: number): PullMessageResponseHeader {
  const e = ext ?? {};
  return {
    suggestWhichBrokerId: numOr(e['suggestWhichBrokerId'], 0),
    nextBeginOffset: numOr(e['nextBeginOffset'], requestOffset),
    minOffset: numOr(e['minOffset'], 0),
    maxOffset: numOr(e['maxOffset'], 0),
  };
}
