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
import type { ExtWriter, RemotingCommand } from '../command.js';
import { jsonPlain, putAscii, readI16, readI32, safeIntChars, utf8String, writeAscii, writeAsciiPair, writeSafeInt } from '../codec.js';
import { propertiesToString } from '../message.js';

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

// ------------------------------------------------------------------ V2 header straight from binary pairs

/**
 * The short strings that repeat from send to send (group, topic, TBW102, broker name): the string
 * made for the same bytes last time is reused instead of decoding the bytes again (a few entries,
 * replaced oldest first).
 */
class RepeatedStrings {
  private readonly bytes: Buffer[] = [];
  private readonly strs: string[] = [];
  private next = 0;

  get(buf: Buffer, p: number, n: number): string {
    const bytes = this.bytes;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b.length !== n) continue;
      let j = 0;
      while (j < n && b[j] === buf[p + j]) j++;
      if (j === n) return this.strs[i]!;
    }
    const s = utf8String(buf, p, n);
    if (n <= 255) {
      const copy = Buffer.from(buf.subarray(p, p + n));
      if (bytes.length < 16) { bytes.push(copy); this.strs.push(s); }
      else { bytes[this.next] = copy; this.strs[this.next] = s; this.next = (this.next + 1) & 15; }
    }
    return s;
  }
}

const repeated = new RepeatedStrings();

/** A short string of a send header, reused while the bytes repeat (RepeatedStrings). */
export function repeatedString(buf: Buffer, p: number, n: number): string { return repeated.get(buf, p, n); }

/** A plain decimal integer (optional '-') in buf[p, p + n); NaN for anything else (the map path then decides). */
function decimalAt(buf: Buffer, p: number, n: number): number {
  if (n === 0 || n > 15) return NaN;
  let i = p;
  const neg = buf[i] === 0x2d;
  if (neg) { i++; if (n === 1) return NaN; }
  let v = 0;
  for (const end = p + n; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

function isTrue(buf: Buffer, p: number, n: number): boolean {
  return n === 4 && buf[p] === 0x74 && buf[p + 1] === 0x72 && buf[p + 2] === 0x75 && buf[p + 3] === 0x65;
}


const REQUIRED_V2 = 0xff; // a..h

/**
 * The fields of a V2 send header as its a..n pairs are read, one at a time, from bytes (binary pairs
 * here, the JSON scan in send-json.ts). One instance is reused: reset(), set() per pair, header().
 */
export class SendHeaderFields {
  producerGroup = ''; topic = ''; defaultTopic = ''; properties = '';
  brokerName: string | undefined = undefined;
  queueNums = 0; queueId = 0; sysFlag = 0; born = 0; flag = 0; reconsume = 0;
  maxReconsume: number | undefined = undefined;
  unitMode = false; batch = false;
  /** bit k: key 'a' + k was read */
  seen = 0;

  reset(): this {
    this.producerGroup = this.topic = this.defaultTopic = this.properties = '';
    this.brokerName = undefined; this.maxReconsume = undefined;
    this.queueNums = this.queueId = this.sysFlag = this.born = this.flag = this.reconsume = 0;
    this.unitMode = this.batch = false;
    this.seen = 0;
    return this;
  }

  /** Key a..n with its value in buf[p, p + n); false for another key or a number the map path must judge. */
  set(key: number, buf: Buffer, p: number, n: number): boolean {
    let v = 0;
    switch (key) {
      case 0x61: this.producerGroup = repeated.get(buf, p, n); break;
      case 0x62: this.topic = repeated.get(buf, p, n); break;
      case 0x63: this.defaultTopic = repeated.get(buf, p, n); break;
      case 0x69: this.properties = utf8String(buf, p, n); break;
      case 0x6b: this.unitMode = isTrue(buf, p, n); break;
      case 0x6d: this.batch = isTrue(buf, p, n); break;
      case 0x6e: this.brokerName = repeated.get(buf, p, n); break;
      case 0x64: case 0x65: case 0x66: case 0x67: case 0x68: case 0x6a: case 0x6c:
        v = decimalAt(buf, p, n);
        if (v !== v) return false;
        if (key === 0x64) this.queueNums = v;
        else if (key === 0x65) this.queueId = v;
        else if (key === 0x66) this.sysFlag = v;
        else if (key === 0x67) this.born = v;
        else if (key === 0x68) this.flag = v;
        else if (key === 0x6a) this.reconsume = v;
        else this.maxReconsume = v;
        break;
      default: return false;
    }
    this.seen |= 1 << (key - 0x61);
    return true;
  }

  /** The header once a..h were read, else null. */
  header(): SendMessageRequestHeader | null {
    if ((this.seen & REQUIRED_V2) !== REQUIRED_V2) return null;
    return {
      producerGroup: this.producerGroup, topic: this.topic, defaultTopic: this.defaultTopic, defaultTopicQueueNums: this.queueNums,
      queueId: this.queueId, sysFlag: this.sysFlag, bornTimestamp: this.born, flag: this.flag, properties: this.properties,
      reconsumeTimes: this.reconsume, unitMode: this.unitMode, maxReconsumeTimes: this.maxReconsume, batch: this.batch,
      brokerName: this.brokerName,
    };
  }
}

const pairFields = new SendHeaderFields();

/**
 * The V2 send header read straight from a binary header's ext pairs buf[start, end) (checked by the
 * codec: RemotingCommand.extSrc), without building the ext map: the same object
 * decodeSendMessageRequestHeaderV2 makes from the map. null for anything but plain one-letter a..n
 * pairs with decimal numbers and a..h present: the map path then decides, with its errors.
 */
export function decodeSendHeaderV2Pairs(buf: Buffer, start: number, end: number): SendMessageRequestHeader | null {
  const f = pairFields.reset();
  let p = start;
  while (p < end) {
    if (readI16(buf, p) !== 1) return null;
    const key = buf[p + 2]!;
    const n = readI32(buf, p + 3);
    p += 7;
    if (!f.set(key, buf, p, n)) return null;
    p += n;
  }
  return f.header();
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

/**
 * A send request's V2 header when it can be had without the ext map: read by the codec (the Java
 * client's JSON header) or from its binary pairs (decodeSendHeaderV2Pairs), kept on the request so
 * the batch check and the processor read the bytes once. null: the map path (a V1 header, other
 * keys, numbers it must judge). A header of only a..n pairs is what the map path makes of it too,
 * for V1 codes as well (sendHeaderNames then picks the short names).
 */
export function sendHeaderFromBytes(cmd: RemotingCommand): SendMessageRequestHeader | null {
  if (cmd.decodedSendHeader === null && cmd.extSrc !== null && !cmd.extSrcJson) {
    cmd.decodedSendHeader = decodeSendHeaderV2Pairs(cmd.extSrc, cmd.extStart, cmd.extEnd);
  }
  return cmd.decodedSendHeader;
}

/** isBatchSendHeader of a request, without the ext map when its header reads from bytes (no 'batch' key then). */
export function isBatchSendRequest(cmd: RemotingCommand): boolean {
  const h = sendHeaderFromBytes(cmd);
  return h !== null ? h.batch : isBatchSendHeader(cmd.extFields);
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

// ---- the client's per-message V2 header, written without a map --------------------------------


function putPairHead(buf: Buffer, p: number, key: number, valueChars: number): void {
  buf[p] = 0; buf[p + 1] = 1; buf[p + 2] = key;
  buf[p + 3] = valueChars >>> 24; buf[p + 4] = (valueChars >>> 16) & 0xff; buf[p + 5] = (valueChars >>> 8) & 0xff; buf[p + 6] = valueChars & 0xff;
}

/** Bytes of one binary ext pair, as the codec writes it. */
function pairBytes(key: string, value: string): number {
  return 6 + key.length + value.length;
}

function writePairs(pairs: ReadonlyArray<readonly [string, string]>): Buffer | null {
  let n = 0;
  for (const [k, v] of pairs) n += pairBytes(k, v);
  const b = Buffer.allocUnsafe(n);
  let p = 0;
  for (const [k, v] of pairs) {
    if (!writeAsciiPair(b, p, k, v)) return null;
    p += pairBytes(k, v);
  }
  return b;
}

// Map#forEach with module-level state: no entry arrays or iterator per message.
let countChars = 0;
let countPairs = 0;
function countPair(v: string, k: string): void {
  if (v === null || v === undefined) return;
  countChars += k.length + 1 + v.length;
  countPairs++;
}

/** Chars of the properties text of a map (k\u0001v joined by \u0002; null values left out, as propertiesToString does). */
function propertiesChars(props: Map<string, string>): number {
  countChars = 0;
  countPairs = 0;
  props.forEach(countPair);
  return countPairs > 0 ? countChars + countPairs - 1 : 0;
}

const EMPTY = Buffer.alloc(0);
let outBuf: Buffer = EMPTY;
let outStart = 0;
let outPos = 0;
let outAscii = true;
function writePropertyPair(v: string, k: string): void {
  if (v === null || v === undefined || !outAscii) return;
  const buf = outBuf;
  let q = outPos;
  if (q > outStart) buf[q++] = 0x02;
  if (!writeAscii(buf, k, q)) { outAscii = false; return; }
  q += k.length;
  buf[q++] = 0x01;
  if (!writeAscii(buf, v, q)) { outAscii = false; return; }
  outPos = q + v.length;
}

/** Writes the properties text at p; false at the first char that is not ASCII. */
function writeProperties(buf: Buffer, p: number, props: Map<string, string>): boolean {
  outBuf = buf;
  outStart = p;
  outPos = p;
  outAscii = true;
  props.forEach(writePropertyPair);
  outBuf = EMPTY;
  return outAscii;
}

const TRUE_CHARS = 4;
const FALSE_CHARS = 5;
const KEY_E = 0x65;

/**
 * The constant pairs of one producer's V2 send header to one topic on one broker (a producerGroup,
 * b topic, c defaultTopic, d defaultTopicQueueNums; n brokerName), encoded once.
 */
export class SendHeaderV2Template {
  /** pairs a..d; null when some char is not ASCII (sends then take the map path) */
  readonly head: Buffer | null;
  /** pair n, empty without a broker name */
  readonly tail: Buffer | null;

  constructor(readonly producerGroup: string, readonly topic: string, readonly defaultTopic: string,
    readonly defaultTopicQueueNums: number, readonly brokerName: string | undefined) {
    this.head = writePairs([['a', producerGroup], ['b', topic], ['c', defaultTopic], ['d', String(defaultTopicQueueNums)]]);
    this.tail = brokerName === undefined ? Buffer.alloc(0) : writePairs([['n', brokerName]]);
  }
}

/**
 * One send's V2 header as an ExtWriter: the template's pre-encoded pairs plus e..m written from the
 * numbers and the properties map directly, byte for byte what encodeSendMessageRequestHeaderV2 and
 * the codec would write for the same header (send-header tests compare them).
 */
export class SendHeaderV2Writer implements ExtWriter {
  constructor(readonly template: SendHeaderV2Template, readonly queueId: number, readonly sysFlag: number, readonly bornTimestamp: number,
    readonly flag: number, readonly properties: Map<string, string>, readonly reconsumeTimes: number, readonly batch: boolean,
    readonly maxReconsumeTimes: number | undefined) {}

  /** chars of the properties text, from binaryExtBytes to writeBinaryExt */
  private propChars = 0;

  /** The same header as a SendMessageRequestHeader (the map path, retries, results). */
  header(): SendMessageRequestHeader {
    const t = this.template;
    return {
      producerGroup: t.producerGroup, topic: t.topic, defaultTopic: t.defaultTopic, defaultTopicQueueNums: t.defaultTopicQueueNums,
      queueId: this.queueId, sysFlag: this.sysFlag, bornTimestamp: this.bornTimestamp, flag: this.flag,
      properties: propertiesToString(this.properties), reconsumeTimes: this.reconsumeTimes, unitMode: false, batch: this.batch,
      maxReconsumeTimes: this.maxReconsumeTimes, brokerName: t.brokerName,
    };
  }

  extFields(): Record<string, string> {
    return encodeSendMessageRequestHeaderV2(this.header());
  }

  binaryExtBytes(): number {
    const t = this.template;
    if (t.head === null || t.tail === null) return -1;
    const e = safeIntChars(this.queueId);
    const f = safeIntChars(this.sysFlag);
    const g = safeIntChars(this.bornTimestamp);
    const h = safeIntChars(this.flag);
    const j = safeIntChars(this.reconsumeTimes);
    const l = this.maxReconsumeTimes === undefined ? 0 : safeIntChars(this.maxReconsumeTimes);
    if (e < 0 || f < 0 || g < 0 || h < 0 || j < 0 || l < 0) return -1;
    this.propChars = propertiesChars(this.properties);
    // 7 bytes per one-letter pair besides its value: e f g h i j k m, [l]
    return t.head.length + t.tail.length + 7 * 8 + e + f + g + h + this.propChars + j + FALSE_CHARS
      + (this.maxReconsumeTimes === undefined ? 0 : 7 + l) + (this.batch ? TRUE_CHARS : FALSE_CHARS);
  }

  /** After binaryExtBytes (the codec calls the two in that order). */
  writeBinaryExt(buf: Buffer, p: number): boolean {
    const t = this.template;
    let q = p + t.head!.copy(buf, p);
    q = this.intPair(buf, q, KEY_E, this.queueId);
    q = this.intPair(buf, q, KEY_E + 1, this.sysFlag);
    q = this.intPair(buf, q, KEY_E + 2, this.bornTimestamp);
    q = this.intPair(buf, q, KEY_E + 3, this.flag);
    const propChars = this.propChars;
    putPairHead(buf, q, 0x69, propChars);
    if (!writeProperties(buf, q + 7, this.properties)) return false;
    q += 7 + propChars;
    q = this.intPair(buf, q, 0x6a, this.reconsumeTimes);
    q = boolPair(buf, q, 0x6b, false);
    if (this.maxReconsumeTimes !== undefined) q = this.intPair(buf, q, 0x6c, this.maxReconsumeTimes);
    q = boolPair(buf, q, 0x6d, this.batch);
    t.tail!.copy(buf, q);
    return true;
  }

  private intPair(buf: Buffer, p: number, key: number, v: number): number {
    const n = safeIntChars(v);
    putPairHead(buf, p, key, n);
    writeSafeInt(buf, p + 7, v, n);
    return p + 7 + n;
  }
}

function boolPair(buf: Buffer, p: number, key: number, v: boolean): number {
  if (v) {
    putPairHead(buf, p, key, TRUE_CHARS);
    buf[p + 7] = 0x74; buf[p + 8] = 0x72; buf[p + 9] = 0x75; buf[p + 10] = 0x65;
    return p + 7 + TRUE_CHARS;
  }
  putPairHead(buf, p, key, FALSE_CHARS);
  buf[p + 7] = 0x66; buf[p + 8] = 0x61; buf[p + 9] = 0x6c; buf[p + 10] = 0x73; buf[p + 11] = 0x65;
  return p + 7 + FALSE_CHARS;
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

const REPLY_KEYS_BYTES = 6 * 5 + 'msgId'.length + 'queueId'.length + 'queueOffset'.length + 'MSG_REGION'.length + 'TRACE_ON'.length;
const J_MSG_ID = '{"msgId":"', J_QUEUE_ID = '","queueId":"', J_QUEUE_OFFSET = '","queueOffset":"';
const J_REGION = '","MSG_REGION":"', J_TRACE_ON = '","TRACE_ON":"', J_END = '"}';
const REPLY_JSON_KEYS_BYTES = J_MSG_ID.length + J_QUEUE_ID.length + J_QUEUE_OFFSET.length + J_REGION.length + J_TRACE_ON.length + J_END.length;

/** int16 keyLength | key | int32 valueLength | the decimal text of n (safeIntChars(n) = chars >= 0). */
function writeIntPair(buf: Buffer, p: number, k: string, n: number, chars: number): number {
  buf[p] = k.length >>> 8; buf[p + 1] = k.length & 0xff;
  const q = putAscii(buf, p + 2, k);
  buf[q] = 0; buf[q + 1] = 0; buf[q + 2] = chars >>> 8; buf[q + 3] = chars & 0xff;
  return writeSafeInt(buf, q + 4, n, chars);
}

/**
 * The SEND reply's five pairs written without a map (what encodeSendMessageResponseHeader gives for
 * a reply with region and trace flag and no transaction id, in its order), as binary pairs or as the
 * JSON extFields object; the two numbers are written as digits, without their strings.
 */
export class SendReplyExtWriter implements ExtWriter {
  private queueIdChars = -1;
  private queueOffsetChars = -1;

  constructor(readonly msgId: string, readonly queueId: number, readonly queueOffset: number,
    readonly regionId: string, readonly traceOnText: string) {}

  /** Both numbers' digit counts, or false when one is not a safe integer (then the map path). */
  private numbers(): boolean {
    this.queueIdChars = safeIntChars(this.queueId);
    this.queueOffsetChars = safeIntChars(this.queueOffset);
    return this.queueIdChars >= 0 && this.queueOffsetChars >= 0;
  }

  binaryExtBytes(): number {
    if (!this.numbers()) return -1;
    return REPLY_KEYS_BYTES + this.msgId.length + this.queueIdChars + this.queueOffsetChars
      + this.regionId.length + this.traceOnText.length;
  }

  writeBinaryExt(buf: Buffer, p: number): boolean {
    if (!writeAsciiPair(buf, p, 'msgId', this.msgId)) return false;
    p += 11 + this.msgId.length;
    p = writeIntPair(buf, p, 'queueId', this.queueId, this.queueIdChars);
    p = writeIntPair(buf, p, 'queueOffset', this.queueOffset, this.queueOffsetChars);
    if (!writeAsciiPair(buf, p, 'MSG_REGION', this.regionId)) return false;
    p += 16 + this.regionId.length;
    return writeAsciiPair(buf, p, 'TRACE_ON', this.traceOnText);
  }

  jsonExtMaxBytes(): number {
    if (!this.numbers() || !jsonPlain(this.msgId) || !jsonPlain(this.regionId) || !jsonPlain(this.traceOnText)) return -1;
    return REPLY_JSON_KEYS_BYTES + this.msgId.length + this.queueIdChars + this.queueOffsetChars + this.regionId.length + this.traceOnText.length;
  }

  writeJsonExt(buf: Buffer, p: number): number {
    p = putAscii(buf, p, J_MSG_ID);
    p = putAscii(buf, p, this.msgId);
    p = putAscii(buf, p, J_QUEUE_ID);
    p = writeSafeInt(buf, p, this.queueId, this.queueIdChars);
    p = putAscii(buf, p, J_QUEUE_OFFSET);
    p = writeSafeInt(buf, p, this.queueOffset, this.queueOffsetChars);
    p = putAscii(buf, p, J_REGION);
    p = putAscii(buf, p, this.regionId);
    p = putAscii(buf, p, J_TRACE_ON);
    p = putAscii(buf, p, this.traceOnText);
    return putAscii(buf, p, J_END);
  }

  extFields(): Record<string, string> {
    return { msgId: this.msgId, queueId: String(this.queueId), queueOffset: String(this.queueOffset), MSG_REGION: this.regionId, TRACE_ON: this.traceOnText };
  }
}

const K_MSG_ID = Buffer.from('msgId'), K_QUEUE_ID = Buffer.from('queueId'), K_QUEUE_OFFSET = Buffer.from('queueOffset');
const K_TRANSACTION_ID = Buffer.from('transactionId'), K_REGION = Buffer.from('MSG_REGION'), K_TRACE_ON = Buffer.from('TRACE_ON');
const FALSE_TEXT = Buffer.from('false');

/** buf[p, p + n) holds exactly the bytes of k. */
function keyIs(buf: Buffer, p: number, n: number, k: Buffer): boolean {
  if (n !== k.length) return false;
  for (let i = 0; i < n; i++) if (buf[p + i] !== k[i]) return false;
  return true;
}

/**
 * decodeSendMessageResponseHeader of a reply, read straight from its binary pairs when its ext map
 * is not built yet (the client's hot path); other keys are ignored, as the map path ignores them. A
 * number that is not a plain decimal sends it to the map path.
 */
export function sendResponseHeaderOf(cmd: RemotingCommand, queueIdIfAbsent: number): SendMessageResponseHeader {
  const buf = cmd.extSrc;
  if (buf === null || cmd.extSrcJson) return decodeSendMessageResponseHeader(cmd.extFields, queueIdIfAbsent);
  let msgId = '', queueId = queueIdIfAbsent, queueOffset = -1;
  let transactionId: string | undefined, regionId: string | undefined, traceOn: boolean | undefined;
  for (let p = cmd.extStart; p < cmd.extEnd;) {
    const kLen = readI16(buf, p);
    const k = p + 2;
    const n = readI32(buf, k + kLen);
    const v = k + kLen + 4;
    p = v + n;
    switch (kLen) {
      case 5: if (keyIs(buf, k, kLen, K_MSG_ID)) msgId = utf8String(buf, v, n); break;
      case 7: if (keyIs(buf, k, kLen, K_QUEUE_ID)) {
        const x = n === 0 ? queueIdIfAbsent : decimalAt(buf, v, n);
        if (x !== x) return decodeSendMessageResponseHeader(cmd.extFields, queueIdIfAbsent);
        queueId = x;
      } break;
      case 11: if (keyIs(buf, k, kLen, K_QUEUE_OFFSET)) {
        const x = n === 0 ? -1 : decimalAt(buf, v, n);
        if (x !== x) return decodeSendMessageResponseHeader(cmd.extFields, queueIdIfAbsent);
        queueOffset = x;
      } break;
      case 13: if (keyIs(buf, k, kLen, K_TRANSACTION_ID)) transactionId = n === 0 ? undefined : utf8String(buf, v, n); break;
      case 10: if (keyIs(buf, k, kLen, K_REGION)) regionId = n === 0 ? undefined : repeated.get(buf, v, n); break;
      case 8: if (keyIs(buf, k, kLen, K_TRACE_ON)) traceOn = !keyIs(buf, v, n, FALSE_TEXT); break;
      default: break;
    }
  }
  return { msgId, queueId, queueOffset, transactionId, regionId, traceOn };
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
