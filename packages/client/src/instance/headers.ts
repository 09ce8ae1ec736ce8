// Request headers built exactly as the Apache 4.9.8 client sends them (field names, and which
// optional fields appear). Pure functions: unit tests compare them with captured frames.

export interface SendMessageRequestHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  batch: boolean;
  maxReconsumeTimes?: number;
  brokerName: string;
}

/** SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) / SEND_REPLY_MESSAGE_V2 (325): one-letter names. */
export function sendMessageV2Fields(h: SendMessageRequestHeader): Record<string, string> {
  // Object literals of one fixed shape each (no incremental key adds); key order a..k, [l], m, n.
  if (h.maxReconsumeTimes === undefined) {
    return {
      a: h.producerGroup, b: h.topic, c: h.defaultTopic, d: String(h.defaultTopicQueueNums), e: String(h.queueId),
      f: String(h.sysFlag), g: String(h.bornTimestamp), h: String(h.flag), i: h.properties, j: String(h.reconsumeTimes),
      k: h.unitMode ? 'true' : 'false', m: h.batch ? 'true' : 'false', n: h.brokerName,
    };
  }
  return {
    a: h.producerGroup, b: h.topic, c: h.defaultTopic, d: String(h.defaultTopicQueueNums), e: String(h.queueId),
    f: String(h.sysFlag), g: String(h.bornTimestamp), h: String(h.flag), i: h.properties, j: String(h.reconsumeTimes),
    k: h.unitMode ? 'true' : 'false', l: String(h.maxReconsumeTimes), m: h.batch ? 'true' : 'false', n: h.brokerName,
  };
}

export interface PullMessageRequestHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription?: string;
  subVersion: number;
  expressionType?: string;
  brokerName: string;
}

export function pullMessageFields(h: PullMessageRequestHeader): Record<string, string> {
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
  f['bname'] = h.brokerName;
  return f;
}
