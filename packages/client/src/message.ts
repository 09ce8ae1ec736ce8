// Messages as users see them (Message to send, MessageExt received) and their wire forms: the
// properties string (`k\u0001v` joined by `\u0002`), stored V1/V2 records (pull replies), the
// 32-hex offset message id and the client-made unique id (UNIQ_KEY).
import { inflateSync } from 'node:zlib';
import os from 'node:os';
import {
  decodeOffsetMsgId as decodeRemotingOffsetMsgId, javaStringHashCode, offsetMsgIdFromBytes, parsePropertiesToRecord,
  propertiesToString as remotingPropertiesToString,
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

export interface MessageExt {
  topic: string;
  body: Buffer;
  tags: string | undefined;
  keys: string | undefined;
  properties: Record<string, string>;
  /** UNIQ_KEY when the producer set one, else the offset message id. */
  msgId: string;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  flag: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  bodyCRC: number;
  storeSize: number;
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

/** 16 uppercase hex chars of an integral number as a two's-complement int64 (as writeBigInt64BE writes it). */
function hex64(v: number): string {
  const hi = Math.floor(v / 4294967296);
  return hex32(hi | 0) + hex32(v - hi * 4294967296);
}

export function decodeOffsetMsgId(msgId: string): { address: string; commitLogOffset: number } {
  const { ip, port, offset } = decodeRemotingOffsetMsgId(msgId);
  return { address: `${ip}:${port}`, commitLogOffset: offset };
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
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

const MAGIC_V1 = -626843481; // 0xDAA320A7
const MAGIC_V2 = -626843477; // 0xDAA320AB: 2-byte topic length

export class MessageDecodeError extends Error {
  override name = 'MessageDecodeError';
}

function hostText(buf: Buffer, pos: number, v6: boolean): [string, Buffer, number] {
  const len = v6 ? 16 : 4;
  const ipBytes = buf.subarray(pos, pos + len);
  const ip = v6 ? ipv6Text(ipBytes) : Array.from(ipBytes).join('.');
  const port = buf.readInt32BE(pos + len);
  return [`${ip}:${port}`, ipBytes, pos + len + 4];
}

/**
 * IPv4 "ip:port" texts and the offset-id prefix (ip + port in hex) by their 8 bytes: a pull reply's
 * records share a handful of hosts, so each is formatted once.
 */
interface HostV4 { text: string; hexPrefix: string }
const hostsV4 = new Map<number, HostV4>();

function hostV4(buf: Buffer, pos: number): HostV4 {
  const ip = buf.readUInt32BE(pos);
  const port = buf.readInt32BE(pos + 4);
  if (port < 0 || port > 0xffff) return { text: hostText(buf, pos, false)[0], hexPrefix: hex32(ip) + hex32(port) };
  const key = ip * 65536 + port;
  let h = hostsV4.get(key);
  if (h === undefined) {
    if (hostsV4.size >= 4096) hostsV4.clear();
    h = { text: `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}:${port}`, hexPrefix: hex32(ip) + hex32(port) };
    hostsV4.set(key, h);
  }
  return h;
}

/** The last decoded topic and its bytes: the records of one pull reply share their topic. */
let lastTopicBytes: Buffer = Buffer.alloc(0);
let lastTopic = '';

function topicText(buf: Buffer, pos: number, len: number): string {
  if (len === lastTopicBytes.length && len <= 255) {
    let same = true;
    for (let i = 0; i < len; i++) if (buf[pos + i] !== lastTopicBytes[i]) { same = false; break; }
    if (same) return lastTopic;
  }
  lastTopic = buf.toString('utf8', pos, pos + len);
  lastTopicBytes = Buffer.from(buf.subarray(pos, pos + len));
  return lastTopic;
}

/** int64 big-endian as a Number: the same value Number(readBigInt64BE) gives, without a BigInt. */
function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

/** Decodes one stored record at `pos`; returns the message and the next position. */
export function decodeMessage(buf: Buffer, pos: number, brokerName = ''): { msg: MessageExt; next: number } {
  if (buf.length - pos < 4) throw new MessageDecodeError('truncated record');
  const storeSize = buf.readInt32BE(pos);
  if (storeSize <= 0 || pos + storeSize > buf.length) throw new MessageDecodeError(`bad record size ${storeSize}`);
  const magic = buf.readInt32BE(pos + 4);
  if (magic !== MAGIC_V1 && magic !== MAGIC_V2) throw new MessageDecodeError(`bad magic ${magic}`);
  const end = pos + storeSize;
  let p = pos + 8;
  const bodyCRC = buf.readInt32BE(p); p += 4;
  const queueId = buf.readInt32BE(p); p += 4;
  const flag = buf.readInt32BE(p); p += 4;
  const queueOffset = readInt64(buf, p); p += 8;
  const commitLogOffset = readInt64(buf, p); p += 8;
  const sysFlag = buf.readInt32BE(p); p += 4;
  const bornTimestamp = readInt64(buf, p); p += 8;
  let bornHost: string;
  if ((sysFlag & MessageSysFlag.BORNHOST_V6) !== 0) { bornHost = hostText(buf, p, true)[0]; p += 20; } else { bornHost = hostV4(buf, p).text; p += 8; }
  const storeTimestamp = readInt64(buf, p); p += 8;
  let storeHost: string;
  let offsetPrefix: string;
  if ((sysFlag & MessageSysFlag.STOREHOST_V6) !== 0) {
    const [text, storeIp] = hostText(buf, p, true);
    storeHost = text;
    let hex = '';
    for (let i = 0; i < storeIp.length; i++) hex += HEX_BYTE[storeIp[i]!]!;
    offsetPrefix = hex + hex32(buf.readInt32BE(p + 16));
    p += 20;
  } else {
    const h = hostV4(buf, p);
    storeHost = h.text;
    offsetPrefix = h.hexPrefix;
    p += 8;
  }
  const reconsumeTimes = buf.readInt32BE(p); p += 4;
  const preparedTransactionOffset = readInt64(buf, p); p += 8;
  const bodyLen = buf.readInt32BE(p); p += 4;
  if (bodyLen < 0 || p + bodyLen > end) throw new MessageDecodeError(`bad body length ${bodyLen}`);
  // A view, not a copy: the reply frame stays alive while any of its messages is held.
  let body: Buffer = buf.subarray(p, p + bodyLen); p += bodyLen;
  if (sysFlag & MessageSysFlag.COMPRESSED) body = inflateSync(body);
  let topicLen: number;
  if (magic === MAGIC_V2) { topicLen = buf.readInt16BE(p); p += 2; } else { topicLen = buf.readUInt8(p); p += 1; }
  const topic = topicText(buf, p, topicLen); p += topicLen;
  const propsLen = buf.readInt16BE(p); p += 2;
  const properties = stringToProperties(buf.toString('utf8', p, p + propsLen)); p += propsLen;
  if (p !== end) throw new MessageDecodeError(`record size mismatch: ${p - pos} != ${storeSize}`);
  const offsetMsgId = offsetPrefix + hex64(commitLogOffset);
  const msg: MessageExt = {
    topic, body, tags: properties[MessageConst.TAGS], keys: properties[MessageConst.KEYS], properties,
    msgId: properties[MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? offsetMsgId, offsetMsgId,
    queueId, queueOffset, commitLogOffset, sysFlag, flag, bornTimestamp, bornHost, storeTimestamp, storeHost,
    reconsumeTimes, preparedTransactionOffset, bodyCRC, storeSize, brokerName,
  };
  return { msg, next: end };
}

export function decodeMessages(buf: Buffer, brokerName = ''): MessageExt[] {
  const out: MessageExt[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const { msg, next } = decodeMessage(buf, pos, brokerName);
    out.push(msg);
    pos = next;
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
  p = b.writeInt32BE(size, p); p = b.writeInt32BE(MAGIC_V1, p); p = b.writeInt32BE(m.bodyCRC, p);
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
