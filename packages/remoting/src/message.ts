// Message-level wire formats shared by broker, store tools and clients: the properties string
// (name\u0001value pairs joined by \u0002), offset message ids, stored V1 records (PULL reply bodies,
// VIEW_MESSAGE_BY_ID) and SEND_BATCH_MESSAGE bodies. Pure functions, no I/O.
import { isIPv4 } from 'node:net';
import { inflateSync } from 'node:zlib';

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';

export const MessageConst = {
  PROPERTY_KEYS: 'KEYS',
  PROPERTY_TAGS: 'TAGS',
  PROPERTY_WAIT_STORE_MSG_OK: 'WAIT',
  PROPERTY_DELAY_TIME_LEVEL: 'DELAY',
  PROPERTY_RETRY_TOPIC: 'RETRY_TOPIC',
  PROPERTY_REAL_TOPIC: 'REAL_TOPIC',
  PROPERTY_REAL_QUEUE_ID: 'REAL_QID',
  PROPERTY_TRANSACTION_PREPARED: 'TRAN_MSG',
  PROPERTY_PRODUCER_GROUP: 'PGROUP',
  PROPERTY_MIN_OFFSET: 'MIN_OFFSET',
  PROPERTY_MAX_OFFSET: 'MAX_OFFSET',
  PROPERTY_BUYER_ID: 'BUYER_ID',
  PROPERTY_ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  PROPERTY_TRANSFER_FLAG: 'TRANSFER_FLAG',
  PROPERTY_CORRECTION_FLAG: 'CORRECTION_FLAG',
  PROPERTY_MQ2_FLAG: 'MQ2_FLAG',
  PROPERTY_RECONSUME_TIME: 'RECONSUME_TIME',
  PROPERTY_MSG_REGION: 'MSG_REGION',
  PROPERTY_TRACE_SWITCH: 'TRACE_ON',
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX: 'UNIQ_KEY',
  PROPERTY_EXTEND_UNIQ_INFO: 'EXTEND_UNIQ_INFO',
  PROPERTY_MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  PROPERTY_CONSUME_START_TIMESTAMP: 'CONSUME_START_TIME',
  PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  PROPERTY_TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  PROPERTY_INSTANCE_ID: 'INSTANCE_ID',
  PROPERTY_CORRELATION_ID: 'CORRELATION_ID',
  PROPERTY_MESSAGE_REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  PROPERTY_MESSAGE_TTL: 'TTL',
  PROPERTY_REPLY_MESSAGE_ARRIVE_TIME: 'ARRIVE_TIME',
  PROPERTY_PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  PROPERTY_CLUSTER: 'CLUSTER',
  PROPERTY_MESSAGE_TYPE: 'MSG_TYPE',
  PROPERTY_POP_CK: 'POP_CK',
  PROPERTY_FIRST_POP_TIME: '1ST_POP_TIME',
  PROPERTY_SHARDING_KEY: '__SHARDING_KEY',
  PROPERTY_TRANSACTION_ID: '__transactionId__',
  KEY_SEPARATOR: ' ',
} as const;

export const MessageSysFlag = {
  COMPRESSED_FLAG: 0x1,
  MULTI_TAGS_FLAG: 0x2,
  TRANSACTION_NOT_TYPE: 0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6_FLAG: 0x10,
  STOREHOSTADDRESS_V6_FLAG: 0x20,
  /** Bits 8..10 carry the compression type (1 = ZLIB) in 5.x-style senders; 4.x peers ignore them. */
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

export function transactionType(sysFlag: number): number {
  return sysFlag & 0xc;
}

export const MESSAGE_MAGIC_CODE_V1 = 0xdaa320a7 | 0;
/** 5.x records: as V1 but the topic length is an int16. */
export const MESSAGE_MAGIC_CODE_V2 = 0xdaa320ab | 0;
export const BLANK_MAGIC_CODE = 0xcbd43194 | 0;

// ---------------------------------------------------------------- properties

export function parseProperties(text: string | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!text) return map;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = n;
    const sep = text.indexOf(NAME_VALUE_SEPARATOR, start);
    if (sep >= 0 && sep < end) map.set(text.slice(start, sep), text.slice(sep + 1, end));
    start = end + 1;
  }
  return map;
}

/** Property names seen by parsePropertiesToRecord, by length: messages repeat a few names, each kept once, interned. */
const NAME_CACHE_MAX_LENGTH = 40;
const NAMES_PER_LENGTH = 8;
const nameCache: string[][] = Array.from({ length: NAME_CACHE_MAX_LENGTH + 1 }, () => []);

/**
 * text[start, end) as a property name: the cached string when it was seen before (a compare instead
 * of a new string that the property store must then look up in V8's string table).
 */
function propertyName(text: string, start: number, end: number): string {
  const n = end - start;
  if (n > NAME_CACHE_MAX_LENGTH) return text.slice(start, end);
  const bucket = nameCache[n]!;
  for (let i = 0; i < bucket.length; i++) if (text.startsWith(bucket[i]!, start)) return bucket[i]!;
  const name = Object.keys({ [text.slice(start, end)]: 0 })[0]!; // the interned copy
  if (bucket.length >= NAMES_PER_LENGTH) bucket.shift();
  bucket.push(name);
  return name;
}

/** The pairs as a plain object (last value wins); no intermediate Map or array (pull path). */
export function parsePropertiesToRecord(text: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = n;
    const sep = text.indexOf(NAME_VALUE_SEPARATOR, start);
    if (sep >= 0 && sep < end) {
      const k = propertyName(text, start, sep);
      const v = text.slice(sep + 1, end);
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    start = end + 1;
  }
  return out;
}

/** Joins pairs without a trailing separator, as the 4.9.8 Java client does; null/undefined values are left out. */
export function propertiesToString(props: Map<string, string> | Record<string, string | number | boolean> | null | undefined): string {
  if (!props) return '';
  let s = '';
  if (props instanceof Map) {
    for (const [k, v] of props) {
      if (v === null || v === undefined) continue;
      s += s.length > 0 ? PROPERTY_SEPARATOR + k + NAME_VALUE_SEPARATOR + v : k + NAME_VALUE_SEPARATOR + v;
    }
    return s;
  }
  for (const k of Object.keys(props)) {
    const v = props[k];
    if (v === null || v === undefined) continue;
    s += s.length > 0 ? PROPERTY_SEPARATOR + k + NAME_VALUE_SEPARATOR + String(v) : k + NAME_VALUE_SEPARATOR + String(v);
  }
  return s;
}

/** java.lang.String#hashCode over UTF-16 code units (tags codes in ConsumeQueue, codeSet in heartbeats). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

// ---------------------------------------------------------------- CRC32 (java.util.zip.CRC32)

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Plain CRC32 (java.util.zip.CRC32) as an unsigned number. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * The BODYCRC a 4.9.8 broker stores: CRC32 of the stored (possibly compressed) body with the sign bit
 * cleared (UtilAll.crc32 masks with 0x7FFFFFFF), as seen in every captured record.
 */
export function messageBodyCrc(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc32(buf, start, end) & 0x7fffffff;
}

// ---------------------------------------------------------------- offset message id

export interface OffsetMsgId {
  ip: string;
  port: number;
  offset: number;
}

/** Uppercase two-char hex of every byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

function hexByte(b: number): string {
  return HEX_BYTE[b & 0xff]!;
}

/** The offset id from raw store-host bytes (4 for IPv4, 16 for IPv6) + port (int32) + offset (int64), uppercase hex. */
export function offsetMsgIdFromBytes(ipBytes: Uint8Array, port: number, offset: number | bigint): string {
  const buf = Buffer.alloc(ipBytes.length + 12);
  buf.set(ipBytes, 0);
  buf.writeInt32BE(port | 0, ipBytes.length);
  buf.writeBigInt64BE(BigInt(offset), ipBytes.length + 4);
  let s = '';
  for (const b of buf) s += hexByte(b);
  return s;
}

/**
 * 32 uppercase hex chars for an IPv4 store host: IPv4 (4 bytes) + port (int32) + commit log offset
 * (int64), as Apache's MessageDecoder.createMessageId writes. (An IPv6 store host's id comes from the
 * record bytes: offsetMsgIdFromBytes.)
 */
export function createOffsetMsgId(ip: string, port: number, offset: number | bigint): string {
  return offsetMsgIdFromBytes(ipBytesOf(ip), port, offset);
}

function ipBytesOf(ip: string): Uint8Array {
  if (!isIPv4(ip)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return Uint8Array.from(ip.split('.'), Number);
}

/** Accepts the IPv4 form (32 hex chars) and the IPv6 one (56 hex chars). */
export function decodeOffsetMsgId(msgId: string): OffsetMsgId {
  if ((msgId.length !== 32 && msgId.length !== 56) || !/^[0-9a-fA-F]+$/.test(msgId)) {
    throw new RangeError(`not an offset message id: ${msgId}`);
  }
  const buf = Buffer.from(msgId, 'hex');
  const ipBytes = msgId.length === 32 ? 4 : 16;
  const ip = ipBytes === 4 ? [...buf.subarray(0, 4)].join('.') : ipv6Text(buf.subarray(0, 16));
  const port = buf.readInt32BE(ipBytes);
  const offset = Number(buf.readBigInt64BE(ipBytes + 4));
  return { ip, port, offset };
}

/** decodeOffsetMsgId, or null for text that is not an offset message id. */
export function tryDecodeOffsetMsgId(msgId: string): OffsetMsgId | null {
  try {
    return decodeOffsetMsgId(msgId);
  } catch {
    return null;
  }
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

// ---------------------------------------------------------------- stored records (V1)

/** The fields of one stored V1 record, hosts as "ip:port", properties as their text. */
export interface StoredRecord {
  storeSize: number;
  bodyCRC: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** A view of the stored bytes, or inflated when asked (decompress) and stored compressed. */
  body: Buffer;
  topic: string;
  propertiesText: string;
  /** Offset message id from the store host bytes + the commit log offset. */
  offsetMsgId: string;
}

export interface DecodedMessage extends StoredRecord {
  properties: Record<string, string>;
  /** UNIQ_KEY when present, else the offset id (what clients call msgId). */
  msgId: string;
  tags: string | undefined;
  keys: string | undefined;
}

function readInt64(buf: Buffer, p: number): number {
  return buf.readInt32BE(p) * 4294967296 + buf.readUInt32BE(p + 4);
}

function hostIdHex(buf: Buffer, p: number, len: number): string {
  let s = '';
  for (let i = p; i < p + len; i++) s += HEX_BYTE[buf[i]!]!;
  return s;
}

/** A host of a record: "ip:port", and its bytes in hex (the store host's start the offset message id). */
interface Host { readonly text: string; readonly hex: string }

/** IPv4 hosts by their 8 bytes: the records of one reply share a handful of hosts, so each is formatted once. */
const hostsV4 = new Map<number, Host>();

function hostV4Text(ip: number, port: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}:${port}`;
}

/** The last two IPv4 hosts looked up: a record's born and store hosts, and the next record's, are mostly the same two. */
let hostKey0 = -1;
let hostKey1 = -1;
let host0: Host = { text: '', hex: '' };
let host1: Host = host0;

function hostV4(buf: Buffer, p: number): Host {
  const ip = buf.readUInt32BE(p);
  const port = buf.readInt32BE(p + 4);
  if (port < 0 || port > 0xffff) return { text: hostV4Text(ip, port), hex: hostIdHex(buf, p, 8) };
  const key = ip * 65536 + port;
  if (key === hostKey0) return host0;
  if (key === hostKey1) return host1;
  let h = hostsV4.get(key);
  if (h === undefined) {
    if (hostsV4.size >= 4096) hostsV4.clear();
    h = { text: hostV4Text(ip, port), hex: hostIdHex(buf, p, 8) };
    hostsV4.set(key, h);
  }
  hostKey1 = hostKey0; host1 = host0;
  hostKey0 = key; host0 = h;
  return h;
}

function hostV6(buf: Buffer, p: number): Host {
  return { text: `${ipv6Text(buf.subarray(p, p + 16))}:${buf.readInt32BE(p + 16)}`, hex: hostIdHex(buf, p, 20) };
}

/** The last decoded topic and its bytes: the records of one reply share their topic. */
let lastTopicBytes: Buffer = Buffer.alloc(0);
let lastTopic = '';

function topicText(buf: Buffer, p: number, len: number): string {
  if (len === lastTopicBytes.length && len <= 255) {
    let same = true;
    for (let i = 0; i < len; i++) if (buf[p + i] !== lastTopicBytes[i]) { same = false; break; }
    if (same) return lastTopic;
  }
  lastTopic = buf.toString('utf8', p, p + len);
  lastTopicBytes = Buffer.from(buf.subarray(p, p + len));
  return lastTopic;
}

export interface DecodeMessagesOptions {
  /** Inflate zlib bodies (sysFlag & 1); default true (decodeStoredRecord: false). */
  decompress?: boolean;
  /** Leave out bodies (listing tools); default false. */
  skipBody?: boolean;
  /** Refuse a record whose fields do not end exactly at its size; default false. */
  exact?: boolean;
}

const isRecordMagic = (magic: number): boolean => magic === MESSAGE_MAGIC_CODE_V1 || magic === MESSAGE_MAGIC_CODE_V2;

/**
 * Decodes concatenated stored V1 records (a PULL reply body, a VIEW_MESSAGE_BY_ID body). Stops at a
 * blank (end-of-file) record or a record that does not fit; throws RangeError on a bad magic code.
 */
export function decodeMessages(buf: Buffer, opts: DecodeMessagesOptions = {}): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  let p = 0;
  while (buf.length - p >= 8) {
    const size = buf.readInt32BE(p);
    const magic = buf.readInt32BE(p + 4);
    if (magic === BLANK_MAGIC_CODE) break;
    if (!isRecordMagic(magic)) throw new RangeError(`bad message magic code 0x${(magic >>> 0).toString(16)} at ${p}`);
    if (size < MIN_RECORD_SIZE || size > buf.length - p) break;
    out.push(decodeOne(buf, p, size, magic, opts));
    p += size;
  }
  return out;
}

function decodeOne(buf: Buffer, start: number, size: number, magic: number, opts: DecodeMessagesOptions): DecodedMessage {
  const r = decodeRecordAt(buf, start, size, magic, opts.decompress !== false, opts.skipBody === true, opts.exact === true);
  const properties = parsePropertiesToRecord(r.propertiesText);
  return Object.assign(r, {
    properties,
    msgId: properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? r.offsetMsgId,
    tags: properties[MessageConst.PROPERTY_TAGS],
    keys: properties[MessageConst.PROPERTY_KEYS],
  });
}

const STORED_RECORD_DEFAULTS: DecodeMessagesOptions = { decompress: false };

/**
 * Decodes the one stored V1 (or V2) record at `start` (the broker's schedule, send-back and
 * transaction paths, the client's pull replies, tools). Throws RangeError on a bad magic code, a size
 * that does not fit `buf`, or fields that overrun the record. The body is not inflated unless
 * `opts.decompress` is true.
 */
export function decodeStoredRecord(buf: Buffer, start = 0, opts: DecodeMessagesOptions = STORED_RECORD_DEFAULTS): StoredRecord {
  const size = checkedRecordSize(buf, start);
  return decodeRecordAt(buf, start, size, buf.readInt32BE(start + 4), opts.decompress === true, opts.skipBody === true, opts.exact === true);
}

/**
 * decodeStoredRecord for a hot path (the client's pull replies): the fields go into `into`, which the
 * caller reuses from record to record (newStoredRecord) and copies what it keeps from. Same checks and errors.
 */
export function decodeStoredFields(buf: Buffer, start: number, opts: DecodeMessagesOptions, into: StoredRecord): StoredRecord {
  const size = checkedRecordSize(buf, start);
  return decodeFieldsAt(buf, start, size, buf.readInt32BE(start + 4), opts.decompress === true, opts.skipBody === true, opts.exact === true, into);
}

/** The size of the record at `start`; throws RangeError when it is truncated, has a bad magic code or does not fit `buf`. */
function checkedRecordSize(buf: Buffer, start: number): number {
  if (buf.length - start < 8) throw new RangeError(`stored record at ${start} is truncated`);
  const size = buf.readInt32BE(start);
  const magic = buf.readInt32BE(start + 4);
  if (!isRecordMagic(magic)) throw new RangeError(`bad message magic code 0x${(magic >>> 0).toString(16)} at ${start}`);
  if (size < MIN_RECORD_SIZE || size > buf.length - start) throw new RangeError(`bad message size ${size} at ${start}`);
  return size;
}

/** Fixed part of a V1 record with IPv4 hosts and empty body, topic and properties. */
const MIN_RECORD_SIZE = 91;

/** Offset of the int16 properties length in the V1 record at `start` (IPv4 or IPv6 hosts). */
export function recordPropertiesLengthOffset(buf: Buffer, start = 0): number {
  const sysFlag = buf.readInt32BE(start + 36);
  let p = start + 48 + (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG ? 20 : 8) + 8 + (sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG ? 20 : 8) + 4 + 8;
  p += 4 + buf.readInt32BE(p);
  p += 1 + buf.readUInt8(p);
  return p;
}

/** Only the properties text of the record at `start` (SQL92 filtering, tags codes), without decoding the rest. */
export function recordPropertiesText(buf: Buffer, start = 0): string {
  const p = recordPropertiesLengthOffset(buf, start);
  return buf.toString('utf8', p + 2, p + 2 + buf.readUInt16BE(p));
}

/** Throws unless `n` more bytes from `p` stay inside the record [start, end). */
function need(p: number, n: number, start: number, end: number): void {
  if (p + n > end) throw new RangeError(`stored record at ${start} is truncated`);
}

const NO_BODY = Buffer.alloc(0);

/** An empty StoredRecord to pass to decodeStoredFields (one per decoding loop). */
export function newStoredRecord(): StoredRecord {
  return {
    storeSize: 0, bodyCRC: 0, queueId: 0, flag: 0, queueOffset: 0, commitLogOffset: 0, sysFlag: 0, bornTimestamp: 0, bornHost: '',
    storeTimestamp: 0, storeHost: '', reconsumeTimes: 0, preparedTransactionOffset: 0, body: NO_BODY, topic: '', propertiesText: '',
    offsetMsgId: '',
  };
}

const scratchFields = newStoredRecord();

function decodeRecordAt(buf: Buffer, start: number, size: number, magic: number, decompress: boolean, skipBody: boolean, exact: boolean): StoredRecord {
  const f = decodeFieldsAt(buf, start, size, magic, decompress, skipBody, exact, scratchFields);
  const record: StoredRecord = {
    storeSize: size, bodyCRC: f.bodyCRC, queueId: f.queueId, flag: f.flag, queueOffset: f.queueOffset, commitLogOffset: f.commitLogOffset,
    sysFlag: f.sysFlag, bornTimestamp: f.bornTimestamp, bornHost: f.bornHost, storeTimestamp: f.storeTimestamp, storeHost: f.storeHost,
    reconsumeTimes: f.reconsumeTimes, preparedTransactionOffset: f.preparedTransactionOffset, body: f.body, topic: f.topic,
    propertiesText: f.propertiesText, offsetMsgId: f.offsetMsgId,
  };
  f.body = NO_BODY; // the scratch must not keep the buffer alive
  return record;
}

function decodeFieldsAt(buf: Buffer, start: number, size: number, magic: number, decompress: boolean, skipBody: boolean, exact: boolean,
  into: StoredRecord): StoredRecord {
  const end = start + size;
  let p = start + 8;
  need(p, 4 + 4 + 4 + 8 + 8 + 4 + 8, start, end);
  const bodyCRC = buf.readInt32BE(p); p += 4;
  const queueId = buf.readInt32BE(p); p += 4;
  const flag = buf.readInt32BE(p); p += 4;
  const queueOffset = readInt64(buf, p); p += 8;
  const commitLogOffset = readInt64(buf, p); p += 8;
  const sysFlag = buf.readInt32BE(p); p += 4;
  const bornTimestamp = readInt64(buf, p); p += 8;
  const bornV6 = (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) !== 0;
  need(p, (bornV6 ? 20 : 8) + 8, start, end);
  const bornHost = (bornV6 ? hostV6(buf, p) : hostV4(buf, p)).text; p += bornV6 ? 20 : 8;
  const storeTimestamp = readInt64(buf, p); p += 8;
  const storeV6 = (sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) !== 0;
  need(p, (storeV6 ? 20 : 8) + 4 + 8 + 4, start, end);
  const store = storeV6 ? hostV6(buf, p) : hostV4(buf, p); p += storeV6 ? 20 : 8;
  const reconsumeTimes = buf.readInt32BE(p); p += 4;
  const preparedTransactionOffset = readInt64(buf, p); p += 8;
  const bodyLen = buf.readInt32BE(p); p += 4;
  if (bodyLen < 0) throw new RangeError(`stored record at ${start} has a negative body length`);
  const v2 = magic === MESSAGE_MAGIC_CODE_V2;
  need(p, bodyLen + (v2 ? 2 : 1), start, end);
  const bodyPos = p; p += bodyLen;
  const topicLen = v2 ? buf.readInt16BE(p) : buf.readUInt8(p); p += v2 ? 2 : 1;
  if (topicLen < 0) throw new RangeError(`stored record at ${start} has a negative topic length`);
  need(p, topicLen + 2, start, end);
  const topic = topicText(buf, p, topicLen); p += topicLen;
  const propLen = buf.readInt16BE(p); p += 2;
  if (propLen < 0) throw new RangeError(`stored record at ${start} has a negative properties length`);
  need(p, propLen, start, end);
  const propertiesText = buf.toString('utf8', p, p + propLen); p += propLen;
  if (exact && p !== end) throw new RangeError(`stored record at ${start} ends at ${p - start}, not at its size ${size}`);
  // A view, not a copy: the buffer stays alive while the record's body is held.
  let body = skipBody ? NO_BODY : buf.subarray(bodyPos, bodyPos + bodyLen);
  if (!skipBody && (sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0 && decompress) body = inflateSync(body);
  into.storeSize = size; into.bodyCRC = bodyCRC; into.queueId = queueId; into.flag = flag; into.queueOffset = queueOffset;
  into.commitLogOffset = commitLogOffset; into.sysFlag = sysFlag; into.bornTimestamp = bornTimestamp; into.bornHost = bornHost;
  into.storeTimestamp = storeTimestamp; into.storeHost = store.text; into.reconsumeTimes = reconsumeTimes;
  into.preparedTransactionOffset = preparedTransactionOffset; into.body = body; into.topic = topic; into.propertiesText = propertiesText;
  // the offset id is store host bytes + the commit log offset, read straight from the record
  into.offsetMsgId = store.hex + hostIdHex(buf, start + 28, 8);
  return into;
}

// ---------------------------------------------------------------- SEND_BATCH_MESSAGE body

export interface BatchMessage {
  flag?: number;
  body: Buffer;
  /** Properties string, or pairs to join. */
  properties?: string | Map<string, string> | Record<string, string>;
}

export interface DecodedBatchMessage {
  flag: number;
  body: Buffer;
  propertiesText: string;
}

/** `[totalSize][magic 0][bodyCRC 0][flag][bodyLen][body][propertiesLen int16][properties]` per message. */
export function encodeBatchMessages(msgs: BatchMessage[]): Buffer {
  const props = msgs.map((m) => Buffer.from(typeof m.properties === 'string' ? m.properties : propertiesToString(m.properties), 'utf8'));
  let total = 0;
  for (let i = 0; i < msgs.length; i++) {
    if (props[i]!.length > 0x7fff) throw new RangeError('batch message properties exceed 32767 bytes');
    total += 20 + msgs[i]!.body.length + 2 + props[i]!.length;
  }
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    const pr = props[i]!;
    out.writeInt32BE(20 + m.body.length + 2 + pr.length, p);
    out.writeInt32BE(0, p + 4);
    out.writeInt32BE(0, p + 8);
    out.writeInt32BE(m.flag ?? 0, p + 12);
    out.writeInt32BE(m.body.length, p + 16);
    p += 20;
    p += m.body.copy(out, p);
    out.writeInt16BE(pr.length, p);
    p += 2;
    p += pr.copy(out, p);
  }
  return out;
}

/** Bodies are views into buf. Throws RangeError on a malformed batch. */
export function decodeBatchMessages(buf: Buffer): DecodedBatchMessage[] {
  const out: DecodedBatchMessage[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < 22) throw new RangeError(`batch message at ${p} is truncated`);
    const total = buf.readInt32BE(p);
    const flag = buf.readInt32BE(p + 12);
    const bodyLen = buf.readInt32BE(p + 16);
    if (bodyLen < 0 || p + 20 + bodyLen + 2 > buf.length) throw new RangeError(`batch message at ${p} has a bad body length`);
    const body = buf.subarray(p + 20, p + 20 + bodyLen);
    const q = p + 20 + bodyLen;
    const propLen = buf.readInt16BE(q);
    if (propLen < 0 || q + 2 + propLen > buf.length) throw new RangeError(`batch message at ${p} has a bad properties length`);
    const propertiesText = buf.toString('utf8', q + 2, q + 2 + propLen);
    const next = q + 2 + propLen;
    if (total !== next - p) throw new RangeError(`batch message at ${p}: total size ${total} does not match ${next - p}`);
    out.push({ flag, body, propertiesText });
    p = next;
  }
  return out;
}
