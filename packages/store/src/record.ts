// The V1 stored-message layout (the commit log record, also the PULL reply body) and the helpers that
// read and write it. Invariant: a record written here decodes back field for field, and its body CRC is
// java.util.zip.CRC32 masked with 0x7FFFFFFF as RocketMQ stores it.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { invariant } from './invariant.js';

export const MESSAGE_MAGIC_CODE = 0xdaa320a7 | 0; // V1
export const BLANK_MAGIC_CODE = 0xcbd43194 | 0;
/** The fixed part of a record (IPv4 hosts, empty body, topic and properties). */
export const MIN_RECORD_SIZE = 91;
/** A file keeps at least this many bytes for the blank record that marks its end. */
export const END_FILE_MIN_BLANK_LENGTH = 4 + 4;

export const SysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_NOT_TYPE: 0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
} as const;

/** Field offsets for an IPv4 born host and store host (sysFlag without 0x10/0x20). */
export const Off = {
  TOTALSIZE: 0,
  MAGICCODE: 4,
  BODYCRC: 8,
  QUEUEID: 12,
  FLAG: 16,
  QUEUEOFFSET: 20,
  PHYSICALOFFSET: 28,
  SYSFLAG: 36,
  BORNTIMESTAMP: 40,
  BORNHOST: 48,
} as const;

export function bornHostLength(sysFlag: number): number { return (sysFlag & SysFlag.BORNHOST_V6) ? 20 : 8; }
export function storeHostLength(sysFlag: number): number { return (sysFlag & SysFlag.STOREHOST_V6) ? 20 : 8; }
export function storeTimestampOffset(sysFlag: number): number { return 48 + bornHostLength(sysFlag); }

/** 91 bytes plus body, topic and properties for IPv4 hosts. */
export function recordSize(sysFlag: number, bodyLength: number, topicLength: number, propertiesLength: number): number {
  return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + bornHostLength(sysFlag) + 8 + storeHostLength(sysFlag) + 4 + 8
    + 4 + bodyLength + 1 + topicLength + 2 + propertiesLength;
}

/** RocketMQ's body CRC: CRC32 & 0x7FFFFFFF. */
export function bodyCrc(body: Uint8Array, start = 0, end = body.length): number {
  const view = start === 0 && end === body.length ? body : body.subarray(start, end);
  return zlibCrc32(view) & 0x7fffffff;
}

export { javaHashCode } from './index-core.js';

/** Big-endian int64 (a safe integer) at pos; byte stores (Buffer.writeInt32BE's checks cost more than the write). */
export function writeInt64(buf: Uint8Array, v: number, pos: number): void {
  const hi = Math.floor(v / 4294967296);
  writeInt32(buf, hi | 0, pos);
  writeInt32(buf, (v - hi * 4294967296) >>> 0, pos + 4);
}
/** Big-endian int32 (signed or unsigned 32-bit value) at pos. */
export function writeInt32(buf: Uint8Array, v: number, pos: number): void {
  buf[pos] = v >>> 24; buf[pos + 1] = v >>> 16; buf[pos + 2] = v >>> 8; buf[pos + 3] = v;
}
export function readInt64(buf: Uint8Array, pos: number): number {
  const hi = (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
  const lo = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
  return hi * 4294967296 + lo;
}
export function readInt32(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
}

export interface HostAddress { ip: string; port: number }

/** Writes an IPv4 "a.b.c.d" (4 bytes) or IPv6 (16 bytes) address + int32 port. Returns the new position. */
export function writeHost(buf: Buffer, pos: number, host: HostAddress, v6: boolean): number {
  if (!v6) {
    writeIpv4(buf, pos, host.ip);
    buf.writeInt32BE(host.port | 0, pos + 4);
    return pos + 8;
  }
  const bytes = ipv6Bytes(host.ip);
  for (let i = 0; i < 16; i++) buf[pos + i] = bytes[i];
  buf.writeInt32BE(host.port | 0, pos + 16);
  return pos + 20;
}

/** The 4 bytes of a dotted IPv4 address at buf[pos..pos+4), parsed without allocating. */
function writeIpv4(buf: Uint8Array, pos: number, ip: string): void {
  let part = 0;
  let p = pos;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) { buf[p++] = part & 255; part = 0; } else part = part * 10 + (c - 48);
  }
  buf[p] = part & 255;
}

function ipv6Bytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  if (ip.includes('.') && !ip.includes(':')) {
    // IPv4 in a v6 slot: ::ffff:a.b.c.d
    out[10] = 0xff; out[11] = 0xff;
    ip.split('.').forEach((x, i) => { out[12 + i] = Number(x) & 255; });
    return out;
  }
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  groups.slice(0, 8).forEach((g, i) => { const v = parseInt(g || '0', 16); out[i * 2] = v >> 8; out[i * 2 + 1] = v & 255; });
  return out;
}

export function readHost(buf: Uint8Array, pos: number, v6: boolean): HostAddress {
  if (!v6) return { ip: `${buf[pos]}.${buf[pos + 1]}.${buf[pos + 2]}.${buf[pos + 3]}`, port: readInt32(buf, pos + 4) };
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((buf[pos + i] << 8) | buf[pos + i + 1]).toString(16));
  return { ip: parts.join(':'), port: readInt32(buf, pos + 16) };
}

/** What a record holds, decoded. */
export interface StoredMessage {
  totalSize: number; magicCode: number; bodyCRC: number; queueId: number; flag: number; queueOffset: number;
  commitLogOffset: number; sysFlag: number; bornTimestamp: number; bornHost: HostAddress; storeTimestamp: number;
  storeHost: HostAddress; reconsumeTimes: number; preparedTransactionOffset: number; body: Buffer; topic: string;
  properties: string;
}

export interface RecordFields {
  topicBytes: Uint8Array; queueId: number; flag: number; body: Buffer; properties: string; propertiesLength: number;
  sysFlag: number; bornTimestamp: number; bornHost: HostAddress; reconsumeTimes: number; preparedTransactionOffset: number;
  bodyCRC: number;
}

function dvInt64(dv: DataView, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  dv.setInt32(pos, hi | 0);
  dv.setUint32(pos + 4, (v - hi * 4294967296) >>> 0);
}

function dvHost(buf: Buffer, dv: DataView, pos: number, host: HostAddress, v6: boolean): number {
  if (v6) return writeHost(buf, pos, host, true);
  writeIpv4(buf, pos, host.ip);
  dv.setInt32(pos + 4, host.port | 0);
  return pos + 8;
}

/** Copies src into dst at dstPos (native memcpy when available: V8 copies into SABs slowly). */
export type ByteCopy = (dst: Uint8Array, dstPos: number, src: Uint8Array) => void;
/** Copies src into dst at dstPos and returns the body CRC of src. */
export type CrcCopy = (dst: Uint8Array, dstPos: number, src: Uint8Array) => number;
const jsCopy: ByteCopy = (dst, dstPos, src) => { dst.set(src, dstPos); };

/**
 * Encodes one record at buf[pos..pos+totalSize). totalSize must come from recordSize(); the caller has
 * validated the lengths. dv must view the same bytes as buf (same base). No allocation for IPv4 hosts.
 */
export function encodeRecord(buf: Buffer, pos: number, totalSize: number, f: RecordFields, queueOffset: number,
  physicalOffset: number, storeTimestamp: number, storeHost: HostAddress,
  dv: DataView = new DataView(buf.buffer, buf.byteOffset, buf.length), copy: ByteCopy = jsCopy,
  copyCrc: CrcCopy | null = null): void {
  invariant(totalSize >= MIN_RECORD_SIZE && pos >= 0 && pos + totalSize <= buf.length, 'a record fits in its target',
    'pos,totalSize,targetLength', pos, totalSize, buf.length);
  dv.setInt32(pos, totalSize);
  dv.setInt32(pos + 4, MESSAGE_MAGIC_CODE);
  dv.setInt32(pos + 8, f.bodyCRC);
  dv.setInt32(pos + 12, f.queueId);
  dv.setInt32(pos + 16, f.flag | 0);
  dvInt64(dv, pos + 20, queueOffset);
  dvInt64(dv, pos + 28, physicalOffset);
  dv.setInt32(pos + 36, f.sysFlag);
  dvInt64(dv, pos + 40, f.bornTimestamp);
  let p = dvHost(buf, dv, pos + 48, f.bornHost, (f.sysFlag & SysFlag.BORNHOST_V6) !== 0);
  dvInt64(dv, p, storeTimestamp); p += 8;
  p = dvHost(buf, dv, p, storeHost, (f.sysFlag & SysFlag.STOREHOST_V6) !== 0);
  dv.setInt32(p, f.reconsumeTimes | 0); p += 4;
  dvInt64(dv, p, f.preparedTransactionOffset); p += 8;
  const body = f.body;
  dv.setInt32(p, body.length); p += 4;
  if (copyCrc !== null) {
    // body and CRC in one pass; the CRC field is filled in afterwards
    f.bodyCRC = copyCrc(buf, p, body);
    dv.setInt32(pos + 8, f.bodyCRC);
  } else if (body.length > 0) copy(buf, p, body);
  p += body.length;
  const tb = f.topicBytes;
  buf[p++] = tb.length;
  for (let i = 0; i < tb.length; i++) buf[p + i] = tb[i];
  p += tb.length;
  dv.setInt16(p, f.propertiesLength); p += 2;
  if (f.propertiesLength > 0) p += buf.write(f.properties, p, f.propertiesLength, 'utf8');
  invariant(p - pos === totalSize, 'encoded fields add up to the record size', 'encoded,totalSize', p - pos, totalSize);
}

export type CheckResult =
  | { kind: 'ok'; size: number }
  | { kind: 'blank'; size: number }
  | { kind: 'end' }                 // zeros: nothing written here
  | { kind: 'corrupt'; reason: string };

/**
 * Validates the record at buf[pos..limit): magic, size, internal lengths and (when checkCrc) the body
 * CRC. Used by recovery and before serving bytes read back from disk.
 */
export function checkRecord(buf: Uint8Array, pos: number, limit: number, checkCrc: boolean, maxSize: number): CheckResult {
  if (limit - pos < 8) return limit - pos <= 0 || allZero(buf, pos, limit) ? { kind: 'end' } : { kind: 'corrupt', reason: 'short header' };
  const size = readInt32(buf, pos);
  const magic = readInt32(buf, pos + 4);
  if (magic === BLANK_MAGIC_CODE) return { kind: 'blank', size };
  if (size === 0 && magic === 0) return { kind: 'end' };
  if (magic !== MESSAGE_MAGIC_CODE) return { kind: 'corrupt', reason: `bad magic 0x${(magic >>> 0).toString(16)}` };
  if (size < MIN_RECORD_SIZE || size > maxSize) return { kind: 'corrupt', reason: `bad size ${size}` };
  if (pos + size > limit) return { kind: 'corrupt', reason: 'torn record' };
  const l = fillLayout(buf, pos, emptyRecordLayout());
  const fault = layoutFault(l, pos, size);
  if (fault !== null) return { kind: 'corrupt', reason: fault };
  // A torn write leaves zeros where the tail never reached the disk; the body CRC does not cover the
  // topic or the properties, which end with a separator (0x02), never with a zero byte.
  if (l.topicLength === 0 || buf[l.topicPos] === 0) return { kind: 'corrupt', reason: 'torn record (zero topic)' };
  if (l.propertiesLength > 0 && buf[pos + size - 1] === 0) return { kind: 'corrupt', reason: 'torn record (zero bytes at the end of the properties)' };
  if (checkCrc && bodyCrc(buf, l.bodyPos, l.bodyPos + l.bodyLength) !== readInt32(buf, pos + 8)) return { kind: 'corrupt', reason: 'body CRC mismatch' };
  return { kind: 'ok', size };
}

function allZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Locations of the variable fields inside a record at pos. */
export interface RecordLayout { bodyPos: number; bodyLength: number; topicPos: number; topicLength: number; propertiesPos: number; propertiesLength: number; storeTimestampPos: number }
/** A layout to fill (a reader's scratch for assertRecord). */
export function emptyRecordLayout(): RecordLayout {
  return { bodyPos: 0, bodyLength: 0, topicPos: 0, topicLength: 0, propertiesPos: 0, propertiesLength: 0, storeTimestampPos: 0 };
}

/**
 * The field locations of the record at pos. Asserts that they lie inside the record, by its total
 * size field (throws InvariantError): a reader never takes bytes past a record for one of its fields.
 */
export function recordLayout(buf: Uint8Array, pos: number): RecordLayout {
  const l = fillLayout(buf, pos, emptyRecordLayout());
  assertFieldsFit(l, pos, readInt32(buf, pos));
  return l;
}

/**
 * Asserts that the record at buf[pos..pos+size) is whole by its own fields (the read path, before
 * serving it): total size field = size, V1 magic, body, topic and properties inside it. l receives
 * its layout (a scratch object: nothing is allocated). Throws InvariantError.
 */
export function assertRecord(buf: Uint8Array, pos: number, size: number, l: RecordLayout): void {
  const total = readInt32(buf, pos);
  const magic = readInt32(buf, pos + 4);
  invariant(total === size && magic === MESSAGE_MAGIC_CODE, 'a record has the V1 magic and the size its queue entry names',
    'at,totalSize,entrySize,magic', pos, total, size, magic);
  assertFieldsFit(fillLayout(buf, pos, l), pos, size);
}

function assertFieldsFit(l: RecordLayout, pos: number, size: number): void {
  invariant(layoutFault(l, pos, size) === null, 'body, topic and properties lie within the record',
    'at,totalSize,bodyLength,propertiesLength', pos, size, l.bodyLength, l.propertiesLength);
}

/** Fills l with the field locations read from the length fields, unchecked. */
function fillLayout(buf: Uint8Array, pos: number, l: RecordLayout): RecordLayout {
  const sysFlag = readInt32(buf, pos + 36);
  const storeTimestampPos = pos + 48 + bornHostLength(sysFlag);
  const bodyLenPos = storeTimestampPos + 8 + storeHostLength(sysFlag) + 4 + 8;
  const bodyLength = readInt32(buf, bodyLenPos);
  const topicPos = bodyLenPos + 4 + bodyLength + 1;
  const topicLength = buf[topicPos - 1];
  const propertiesPos = topicPos + topicLength + 2;
  l.storeTimestampPos = storeTimestampPos; l.bodyPos = bodyLenPos + 4; l.bodyLength = bodyLength;
  l.topicPos = topicPos; l.topicLength = topicLength;
  l.propertiesPos = propertiesPos; l.propertiesLength = (buf[propertiesPos - 2] << 8) | buf[propertiesPos - 1];
  return l;
}

/** Why the fields of a record of `size` bytes at pos do not fit in it, or null when they do. */
function layoutFault(l: RecordLayout, pos: number, size: number): string | null {
  const end = pos + size;
  // (a length read past the buffer is undefined: NaN positions fail every compare)
  if (!(l.bodyLength >= 0 && l.topicPos <= end)) return 'bad body length';
  if (!(l.propertiesPos <= end)) return 'bad topic length';
  if (!(l.propertiesPos + l.propertiesLength === end)) return 'size does not match the fields';
  return null;
}

/** Full decode of one record (allocates; for tests, tools and the slow paths). */
export function decodeRecord(buf: Buffer, pos = 0): StoredMessage {
  const sysFlag = buf.readInt32BE(pos + 36);
  const l = recordLayout(buf, pos);
  const bornV6 = (sysFlag & SysFlag.BORNHOST_V6) !== 0;
  const storeV6 = (sysFlag & SysFlag.STOREHOST_V6) !== 0;
  const storeHostPos = l.storeTimestampPos + 8;
  const afterStoreHost = storeHostPos + storeHostLength(sysFlag);
  return {
    totalSize: buf.readInt32BE(pos), magicCode: buf.readInt32BE(pos + 4), bodyCRC: buf.readInt32BE(pos + 8),
    queueId: buf.readInt32BE(pos + 12), flag: buf.readInt32BE(pos + 16), queueOffset: readInt64(buf, pos + 20),
    commitLogOffset: readInt64(buf, pos + 28), sysFlag, bornTimestamp: readInt64(buf, pos + 40),
    bornHost: readHost(buf, pos + 48, bornV6), storeTimestamp: readInt64(buf, l.storeTimestampPos),
    storeHost: readHost(buf, storeHostPos, storeV6), reconsumeTimes: buf.readInt32BE(afterStoreHost),
    preparedTransactionOffset: readInt64(buf, afterStoreHost + 4),
    body: buf.subarray(l.bodyPos, l.bodyPos + l.bodyLength),
    topic: buf.toString('utf8', l.topicPos, l.topicPos + l.topicLength),
    properties: buf.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength),
  };
}

/** Looks up one property in a `k\u0001v\u0002` string without building a map. */
export function getProperty(properties: string, name: string): string | null {
  let i = 0;
  while (i < properties.length) {
    const sep = properties.indexOf('\u0001', i);
    if (sep < 0) return null;
    let end = properties.indexOf('\u0002', sep + 1);
    if (end < 0) end = properties.length;
    if (sep - i === name.length && properties.startsWith(name, i)) return properties.substring(sep + 1, end);
    i = end + 1;
  }
  return null;
}

const HEX_BYTES = Buffer.from('0123456789ABCDEF', 'latin1');
/** offsetMsgId's bytes: the host part stays while the store's host does. */
const msgIdScratch = Buffer.alloc(32);
let msgIdHost = '';
/**
 * The 32-hex-char offset message id: store IPv4 (4 bytes) + port (int32) + commit log offset (int64).
 * Written into a scratch buffer and sliced once: one flat string per id (concatenating 16 chars made 16
 * cons strings, ~0.5 KB a message, and 3x the time).
 */
export function offsetMsgId(ipBytesHex: string, commitLogOffset: number): string {
  if (ipBytesHex !== msgIdHost) {
    if (ipBytesHex.length !== 16) throw new Error(`store host hex must be 16 chars, got ${ipBytesHex.length}`);
    msgIdScratch.write(ipBytesHex, 0, 'latin1');
    msgIdHost = ipBytesHex;
  }
  const hi = Math.floor(commitLogOffset / 4294967296);
  const lo = (commitLogOffset - hi * 4294967296) >>> 0;
  const b = msgIdScratch;
  for (let i = 0, sh = 28; i < 8; i++, sh -= 4) {
    b[16 + i] = HEX_BYTES[(hi >>> sh) & 15]!;
    b[24 + i] = HEX_BYTES[(lo >>> sh) & 15]!;
  }
  return (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, 32); // Node's own, untyped
}
/** Hex of the store host part (ip + port), computed once per store. */
export function hostHex(host: HostAddress): string {
  const b = Buffer.alloc(8);
  writeHost(b, 0, host, false);
  return b.toString('hex').toUpperCase();
}

/** Delivery time for a delayed message, as the ConsumeQueue's tags code (recovery path). */
export function parseDelayLevels(spec: string): number[] {
  const unit: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return spec.trim().split(/\s+/).map((t) => Number(t.slice(0, -1)) * (unit[t.slice(-1)] ?? 1000));
}
