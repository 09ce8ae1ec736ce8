// Messages as users see them (Message to send, MessageExt received) and their wire forms: the
// properties string (`k\u0001v` joined by `\u0002`), stored V1/V2 records (pull replies), the
// 32-hex offset message id and the client-made unique id (UNIQ_KEY).
import os from 'node:os';
import {
  decodeOffsetMsgId as decodeRemotingOffsetMsgId, decodeStoredFields, javaStringHashCode, MESSAGE_MAGIC_CODE_V1, newStoredRecord,
  offsetMsgIdFromBytes, parsePropertiesToRecord, propertiesToString as remotingPropertiesToString, type DecodedMessage,
  type DecodeMessagesOptions, type StoredRecord,
} from '@rmq/remoting';
import { MessageConst, MessageSysFlag } from './protocol.js';

export interface Message {
  topic: string;
  body: Buffer | string;
  tags?: string;
  /** One key or several; they travel space-joined in the KEYS property. */
  keys?: string | string[];
  properties?: Record<string, string>;
  /** 1..18: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h. */
  delayTimeLevel?: number;
  flag?: number;
  /** Default true: the broker answers after the message is stored per its flush policy. */
  waitStoreMsgOK?: boolean;
}

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export function mqKey(mq: MessageQueue): string {
  return `${mq.topic}:${mq.brokerName}:${mq.queueId}`;
}

/** MessageQueue ordering of the Java client: topic, then brokerName, then queueId. */
export function compareMessageQueue(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

/**
 * A received message: a stored record as @rmq/remoting decodes it, properties parsed (msgId is
 * UNIQ_KEY when the producer set one, else the offset message id), and the broker it came from.
 */
export interface MessageExt extends Omit<DecodedMessage, 'propertiesText'> {
  brokerName: string;
}

// ---- properties ------------------------------------------------------------------------------

/** Joins properties like the Java client: no trailing separator (the codec of @rmq/remoting). */
export const propertiesToString: (props: Record<string, string> | Map<string, string>) => string = remotingPropertiesToString;

/** The properties string as a plain object (the codec of @rmq/remoting). */
export const stringToProperties: (text: string) => Record<string, string> = parsePropertiesToRecord;

/** java.lang.String#hashCode (the one of @rmq/remoting). */
export const javaHashCode: (s: string) => number = javaStringHashCode;

// ---- hex ----------------------------------------------------------------------------------------

/** Uppercase two-char hex of every byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** 8 uppercase hex chars of a 32-bit value (two's complement for negatives). */
function hex32(v: number): string {
  return HEX_BYTE[(v >>> 24) & 0xff]! + HEX_BYTE[(v >>> 16) & 0xff]! + HEX_BYTE[(v >>> 8) & 0xff]! + HEX_BYTE[v & 0xff]!;
}

// ---- ids ----------------------------------------------------------------------------------------

/** 32 hex chars: store IPv4 (4 bytes) + port (int32) + commit log offset (int64); 56 for IPv6. */
export function createOffsetMsgId(storeIp: Buffer, storePort: number, commitLogOffset: number): string {
  return offsetMsgIdFromBytes(storeIp, storePort, commitLogOffset);
}

export function decodeOffsetMsgId(msgId: string): { address: string; commitLogOffset: number } {
  const { ip, port, offset } = decodeRemotingOffsetMsgId(msgId);
  return { address: `${ip}:${port}`, commitLogOffset: offset };
}

/** First non-internal IPv4 address of this host (Java's UtilAll.getIP prefers IPv4), else loopback. */
export function localIPv4(): string {
  const ifs = os.networkInterfaces();
  let fallback: string | undefined;
  for (const list of Object.values(ifs)) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      if (!a.address.startsWith('169.254.')) return a.address;
      fallback ??= a.address;
    }
  }
  return fallback ?? '127.0.0.1';
}

/**
 * Unique message ids with the layout of the Java MessageClientIDSetter: ip (4 bytes) + pid (int16)
 * + a per-process random int32 (the Java client uses its class loader's hash code) + milliseconds
 * since the start of the current month (int32) + a counter (int16); 32 uppercase hex characters.
 */
export class UniqueIdGenerator {
  private readonly fixedHex: string;
  private startMs = 0;
  private nextStartMs = 0;
  private counter = 0;

  constructor(ip: string = localIPv4(), pid: number = process.pid, salt: number = (Math.random() * 0x7fffffff) | 0) {
    const fixed = Buffer.alloc(10);
    const octets = ip.split('.').map((x) => Number(x) & 0xff);
    for (let i = 0; i < 4; i++) fixed[i] = octets[i] ?? 0;
    fixed.writeUInt16BE(pid & 0xffff, 4);
    fixed.writeInt32BE(salt | 0, 6);
    this.fixedHex = fixed.toString('hex').toUpperCase();
  }

  private setStartTime(nowMs: number): void {
    const d = new Date(nowMs);
    this.startMs = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    this.nextStartMs = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
  }

  /** Cached hex of the 4-byte time field (8 chars) for the millisecond it was computed. */
  private lastMs = -1;
  private lastTimeHex = '';

  next(nowMs: number = Date.now()): string {
    if (nowMs !== this.lastMs) {
      if (nowMs >= this.nextStartMs) this.setStartTime(nowMs);
      let diff = nowMs - this.startMs;
      if (diff < 0 && diff > -1_000_000) diff = 0;
      this.lastMs = nowMs;
      this.lastTimeHex = hex32(diff | 0);
    }
    const c = this.counter;
    this.counter = (c + 1) & 0xffff;
    return this.fixedHex + this.lastTimeHex + HEX_BYTE[c >>> 8]! + HEX_BYTE[c & 0xff]!;
  }
}

export const uniqueIds = new UniqueIdGenerator();

// ---- stored record decoding (pull reply bodies, CONSUME_MESSAGE_DIRECTLY, check-back) ------------

export class MessageDecodeError extends Error {
  override name = 'MessageDecodeError';
}

/** What the client asks of @rmq/remoting's record decoder: bodies inflated, each record exactly its size. */
const DECODE_OPTIONS: DecodeMessagesOptions = { decompress: true, exact: true };

/** Fields of the record being decoded, reused from record to record (each message copies them). */
const fields: StoredRecord = newStoredRecord();
const NO_BODY = Buffer.alloc(0);

/** The message of the record just decoded into `fields`. */
function messageOf(brokerName: string): MessageExt {
  const r = fields;
  const properties = stringToProperties(r.propertiesText);
  const msg: MessageExt = {
    topic: r.topic, body: r.body, tags: properties[MessageConst.TAGS], keys: properties[MessageConst.KEYS], properties,
    msgId: properties[MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? r.offsetMsgId, offsetMsgId: r.offsetMsgId,
    queueId: r.queueId, queueOffset: r.queueOffset, commitLogOffset: r.commitLogOffset, sysFlag: r.sysFlag, flag: r.flag,
    bornTimestamp: r.bornTimestamp, bornHost: r.bornHost, storeTimestamp: r.storeTimestamp, storeHost: r.storeHost,
    reconsumeTimes: r.reconsumeTimes, preparedTransactionOffset: r.preparedTransactionOffset, bodyCRC: r.bodyCRC,
    storeSize: r.storeSize, brokerName,
  };
  r.body = NO_BODY; // the scratch keeps nothing of this message alive (its body's buffer)
  return msg;
}

/** Decodes the record at `pos` into `fields`; MessageDecodeError on a malformed one. */
function decodeFields(buf: Buffer, pos: number): void {
  try {
    decodeStoredFields(buf, pos, DECODE_OPTIONS, fields);
  } catch (e) {
    throw new MessageDecodeError(e instanceof Error ? e.message : String(e));
  }
}

/** Decodes one stored record (V1 or V2) at `pos` with @rmq/remoting's decoder; returns the message and the next position. */
export function decodeMessage(buf: Buffer, pos: number, brokerName = ''): { msg: MessageExt; next: number } {
  decodeFields(buf, pos);
  const next = pos + fields.storeSize;
  return { msg: messageOf(brokerName), next };
}

export function decodeMessages(buf: Buffer, brokerName = ''): MessageExt[] {
  const out: MessageExt[] = [];
  let pos = 0;
  while (pos < buf.length) {
    decodeFields(buf, pos);
    pos += fields.storeSize;
    out.push(messageOf(brokerName));
  }
  return out;
}

/** Encodes a MessageExt back to the V1 stored layout (CONSUME_MESSAGE_DIRECTLY tests, tools). */
export function encodeStoredMessage(m: MessageExt): Buffer {
  const topic = Buffer.from(m.topic, 'utf8');
  const props = Buffer.from(propertiesToString(m.properties), 'utf8');
  const ipPort = (hp: string): Buffer => {
    const i = hp.lastIndexOf(':');
    const b = Buffer.alloc(8);
    hp.slice(0, i).split('.').forEach((x, k) => { b[k] = Number(x) & 0xff; });
    b.writeInt32BE(Number(hp.slice(i + 1)), 4);
    return b;
  };
  const size = 91 + m.body.length + topic.length + props.length;
  const b = Buffer.alloc(size);
  let p = 0;
  p = b.writeInt32BE(size, p); p = b.writeInt32BE(MESSAGE_MAGIC_CODE_V1, p); p = b.writeInt32BE(m.bodyCRC, p);
  p = b.writeInt32BE(m.queueId, p); p = b.writeInt32BE(m.flag, p);
  p = b.writeBigInt64BE(BigInt(m.queueOffset), p); p = b.writeBigInt64BE(BigInt(m.commitLogOffset), p);
  p = b.writeInt32BE(m.sysFlag & ~(MessageSysFlag.COMPRESSED | MessageSysFlag.BORNHOST_V6 | MessageSysFlag.STOREHOST_V6), p);
  p = b.writeBigInt64BE(BigInt(m.bornTimestamp), p); p += ipPort(m.bornHost).copy(b, p);
  p = b.writeBigInt64BE(BigInt(m.storeTimestamp), p); p += ipPort(m.storeHost).copy(b, p);
  p = b.writeInt32BE(m.reconsumeTimes, p); p = b.writeBigInt64BE(BigInt(m.preparedTransactionOffset), p);
  p = b.writeInt32BE(m.body.length, p); p += m.body.copy(b, p);
  p = b.writeUInt8(topic.length, p); p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p); props.copy(b, p);
  return b;
}

export function bodyBuffer(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
