// SendMessageRequestHeader in its two wire forms and SendMessageResponseHeader.
//
// SEND_MESSAGE (10) and SEND_REPLY_MESSAGE (324) name the fields in full; SEND_MESSAGE_V2 (310),
// SEND_BATCH_MESSAGE (320) and SEND_REPLY_MESSAGE_V2 (325) use one letter each (Apache's
// SendMessageRequestHeaderV2): a producerGroup, b topic, c defaultTopic, d defaultTopicQueueNums,
// e queueId, f sysFlag, g bornTimestamp, h flag (a..h mandatory), i properties, j reconsumeTimes,
// k unitMode, l maxReconsumeTimes, m batch, n brokerName (optional).
//
// The decode runs once per message on the broker: one function reads either form through a table
// of names and builds one object of a fixed shape (no maps, no closures).

import { RequestHeaderError, numOr, optStr, reqStr as str } from './fields.js';

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
  maxReconsumeTimes?: number | undefined;
  batch: boolean;
  brokerName?: string | undefined;
}

type SendFieldNames = { readonly [K in keyof Required<SendMessageRequestHeader>]: string };

const SHORT_NAMES: SendFieldNames = {
  producerGroup: 'a', topic: 'b', defaultTopic: 'c', defaultTopicQueueNums: 'd', queueId: 'e', sysFlag: 'f',
  bornTimestamp: 'g', flag: 'h', properties: 'i', reconsumeTimes: 'j', unitMode: 'k', maxReconsumeTimes: 'l',
  batch: 'm', brokerName: 'n',
};

// Both tables built the same way (same keys, same order), so the decode's reads of them see one shape.
function namesTable(pick: (long: string, short: string) => string): SendFieldNames {
  return Object.fromEntries(Object.entries(SHORT_NAMES).map(([long, short]) => [long, pick(long, short)])) as unknown as SendFieldNames;
}

/** The V2 one-letter names. */
export const SEND_V2_NAMES = namesTable((_long, short) => short);
/** The V1 names: each field under its own name. */
export const SEND_V1_NAMES = namesTable((long) => long);

type RawExt = Record<string, string>;

function num(ext: RawExt, name: string, label: string, required: boolean): number {
  const v = ext[name];
  if (v === undefined || v === null) {
    if (required) throw new RequestHeaderError(`the custom field <${label}> is null`);
    return 0;
  }
  // Fast path: extFields from ali-ons may hold real numbers.
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (!Number.isFinite(n) || !Number.isInteger(n) || String(v).trim() === '') {
    throw new RequestHeaderError(`the custom field <${label}> is not a number: ${v}`);
  }
  return n;
}

/**
 * Reads a send header in the form `names` gives (SEND_V2_NAMES or SEND_V1_NAMES). Errors name the
 * field by its long name, as Apache's do.
 */
export function decodeSendMessageRequestHeader(ext: RawExt | null | undefined, names: SendFieldNames = SEND_V1_NAMES): SendMessageRequestHeader {
  if (!ext) throw new RequestHeaderError('the custom field <topic> is null');
  const n = names;
  const l = ext[n.maxReconsumeTimes];
  return {
    producerGroup: str(ext, n.producerGroup, 'producerGroup'),
    topic: str(ext, n.topic, 'topic'),
    defaultTopic: str(ext, n.defaultTopic, 'defaultTopic'),
    defaultTopicQueueNums: num(ext, n.defaultTopicQueueNums, 'defaultTopicQueueNums', true),
    queueId: num(ext, n.queueId, 'queueId', true),
    sysFlag: num(ext, n.sysFlag, 'sysFlag', true),
    bornTimestamp: num(ext, n.bornTimestamp, 'bornTimestamp', true),
    flag: num(ext, n.flag, 'flag', true),
    properties: optStr(ext, n.properties) ?? '',
    reconsumeTimes: num(ext, n.reconsumeTimes, 'reconsumeTimes', false),
    unitMode: String(ext[n.unitMode]) === 'true',
    maxReconsumeTimes: l === undefined || l === null ? undefined : num(ext, n.maxReconsumeTimes, 'maxReconsumeTimes', true),
    batch: String(ext[n.batch]) === 'true',
    // read as is (a string when present): the one field the broker itself does not use
    brokerName: ext[n.brokerName] ?? undefined,
  };
}

/** SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE / SEND_REPLY_MESSAGE_V2 header. */
export function decodeSendMessageRequestHeaderV2(ext: RawExt | null | undefined): SendMessageRequestHeader {
  return decodeSendMessageRequestHeader(ext, SEND_V2_NAMES);
}

/**
 * Which form a send request carries: the V2 codes (310, 320, 325) always the short one; the V1
 * codes (10, 324) the long one, unless a client sent the short form anyway (b but no topic).
 */
export function sendHeaderNames(v1Code: boolean, ext: RawExt | null | undefined): SendFieldNames {
  if (!v1Code) return SEND_V2_NAMES;
  return ext && ext['b'] !== undefined && ext['topic'] === undefined ? SEND_V2_NAMES : SEND_V1_NAMES;
}

/** Whether a send request's header marks a batch (m in the short form, batch in the long one). */
export function isBatchSendHeader(ext: RawExt | null | undefined): boolean {
  if (!ext) return false;
  return String(ext['m'] ?? ext['batch']) === 'true';
}

function encodeV2Rest(h: SendMessageRequestHeader): Record<string, string> {
  // Without a broker name (not what the Java 4.9.8 client sends): the same keys in order, n left out.
  const f: Record<string, string> = {
    a: h.producerGroup, b: h.topic, c: h.defaultTopic, d: String(h.defaultTopicQueueNums), e: String(h.queueId),
    f: String(h.sysFlag), g: String(h.bornTimestamp), h: String(h.flag), i: h.properties, j: String(h.reconsumeTimes),
    k: h.unitMode ? 'true' : 'false',
  };
  if (h.maxReconsumeTimes !== undefined) f['l'] = String(h.maxReconsumeTimes);
  f['m'] = h.batch ? 'true' : 'false';
  return f;
}

/** The V2 (one-letter) ext fields, in the order the Java client writes them: a..k, [l], m, [n]. */
export function encodeSendMessageRequestHeaderV2(h: SendMessageRequestHeader): Record<string, string> {
  if (h.brokerName === undefined) return encodeV2Rest(h);
  // Object literals of one fixed shape each (no incremental key adds): the client's per-message path.
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

/**
 * SendMessageResponseHeader (msgId, queueId, queueOffset mandatory; transactionId optional) plus the
 * two keys Apache's broker adds to every send reply, MSG_REGION and TRACE_ON.
 */
export interface SendMessageResponseHeader {
  /** The offset message id(s), comma-joined for a batch. */
  msgId: string;
  queueId: number;
  queueOffset: number;
  transactionId?: string | undefined;
  regionId?: string | undefined;
  traceOn?: boolean | undefined;
}

/** The broker's reply fields in its order: msgId, queueId, queueOffset, [transactionId], MSG_REGION, TRACE_ON. */
export function encodeSendMessageResponseHeader(h: SendMessageResponseHeader): Record<string, string> {
  if (h.transactionId === undefined && h.regionId !== undefined && h.traceOn !== undefined) {
    return { msgId: h.msgId, queueId: String(h.queueId), queueOffset: String(h.queueOffset), MSG_REGION: h.regionId, TRACE_ON: String(h.traceOn) };
  }
  const f: Record<string, string> = { msgId: h.msgId, queueId: String(h.queueId), queueOffset: String(h.queueOffset) };
  if (h.transactionId !== undefined) f['transactionId'] = h.transactionId;
  if (h.regionId !== undefined) f['MSG_REGION'] = h.regionId;
  if (h.traceOn !== undefined) f['TRACE_ON'] = String(h.traceOn);
  return f;
}

/**
 * A send reply's header, read as the client always has: leniently (absent numbers give
 * queueId = `queueIdIfAbsent`, queueOffset = -1; an empty transactionId or region counts as absent).
 */
export function decodeSendMessageResponseHeader(ext: RawExt | null | undefined, queueIdIfAbsent: number): SendMessageResponseHeader {
  const e = ext ?? {};
  const trace = e['TRACE_ON'];
  return {
    msgId: e['msgId'] ?? '',
    queueId: numOr(e['queueId'], queueIdIfAbsent),
    queueOffset: numOr(e['queueOffset'], -1),
    transactionId: e['transactionId'] || undefined,
    regionId: e['MSG_REGION'] || undefined,
    traceOn: trace === undefined ? undefined : trace !== 'false',
  };
}
