// Reading fields of a stored message record (the V1 commit log layout, also the pull reply body).
// The broker only reads records here (schedule delivery, send-back, SQL92 filtering); the store
// owns writing them.

export const MAGIC_V1 = 0xdaa320a7 | 0;
const BORNHOST_V6_FLAG = 0x10;
const STOREHOST_V6_FLAG = 0x20;

export interface StoredMessage {
  totalSize: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: { ip: string; port: number };
  storeTimestamp: number;
  storeHost: { ip: string; port: number };
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  topic: string;
  properties: string;
}

function readHost(buf: Buffer, at: number, v6: boolean): { ip: string; port: number } {
  if (v6) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(at + i).toString(16));
    return { ip: parts.join(':'), port: buf.readInt32BE(at + 16) };
  }
  return { ip: `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`, port: buf.readInt32BE(at + 4) };
}

/** Decodes one record starting at `at`; throws on a size or magic mismatch. */
export function decodeRecord(buf: Buffer, at = 0): StoredMessage {
  const totalSize = buf.readInt32BE(at);
  const magic = buf.readInt32BE(at + 4);
  if (magic !== MAGIC_V1) throw new Error(`bad message magic ${(magic >>> 0).toString(16)} at ${at}`);
  if (totalSize < 91 || at + totalSize > buf.length) throw new Error(`bad message size ${totalSize} at ${at}`);
  let p = at + 12;
  const queueId = buf.readInt32BE(p); p += 4;
  const flag = buf.readInt32BE(p); p += 4;
  const queueOffset = Number(buf.readBigInt64BE(p)); p += 8;
  const commitLogOffset = Number(buf.readBigInt64BE(p)); p += 8;
  const sysFlag = buf.readInt32BE(p); p += 4;
  const bornTimestamp = Number(buf.readBigInt64BE(p)); p += 8;
  const bornV6 = (sysFlag & BORNHOST_V6_FLAG) !== 0;
  const bornHost = readHost(buf, p, bornV6); p += bornV6 ? 20 : 8;
  const storeTimestamp = Number(buf.readBigInt64BE(p)); p += 8;
  const storeV6 = (sysFlag & STOREHOST_V6_FLAG) !== 0;
  const storeHost = readHost(buf, p, storeV6); p += storeV6 ? 20 : 8;
  const reconsumeTimes = buf.readInt32BE(p); p += 4;
  const preparedTransactionOffset = Number(buf.readBigInt64BE(p)); p += 8;
  const bodyLen = buf.readInt32BE(p); p += 4;
  const body = buf.subarray(p, p + bodyLen); p += bodyLen;
  const topicLen = buf[p]!; p += 1;
  const topic = buf.toString('utf8', p, p + topicLen); p += topicLen;
  const propLen = buf.readUInt16BE(p); p += 2;
  const properties = buf.toString('utf8', p, p + propLen);
  return { totalSize, queueId, flag, queueOffset, commitLogOffset, sysFlag, bornTimestamp, bornHost, storeTimestamp,
    storeHost, reconsumeTimes, preparedTransactionOffset, body, topic, properties };
}

/** Only the properties of a record (SQL92 filtering), without decoding the rest. */
export function recordProperties(buf: Buffer): string {
  const sysFlag = buf.readInt32BE(36);
  let p = 48 + ((sysFlag & BORNHOST_V6_FLAG) ? 20 : 8) + 8 + ((sysFlag & STOREHOST_V6_FLAG) ? 20 : 8) + 4 + 8;
  const bodyLen = buf.readInt32BE(p); p += 4 + bodyLen;
  const topicLen = buf[p]!; p += 1 + topicLen;
  const propLen = buf.readUInt16BE(p); p += 2;
  return buf.toString('utf8', p, p + propLen);
}

/** The 32-hex-digit "offset message id": store IPv4 + port + commit log offset. */
export function offsetMsgId(host: { ip: string; port: number }, commitLogOffset: number): string {
  const b = Buffer.allocUnsafe(16);
  const parts = host.ip.split('.');
  for (let i = 0; i < 4; i++) b[i] = Number(parts[i] ?? 0) & 0xff;
  b.writeInt32BE(host.port, 4);
  b.writeBigInt64BE(BigInt(commitLogOffset), 8);
  return b.toString('hex').toUpperCase();
}

/** Parses an offset message id back into address and commit log offset. */
export function decodeOffsetMsgId(msgId: string): { ip: string; port: number; offset: number } | null {
  if (!/^[0-9A-Fa-f]{32}$/.test(msgId)) return null;
  const b = Buffer.from(msgId, 'hex');
  return { ip: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, port: b.readInt32BE(4), offset: Number(b.readBigInt64BE(8)) };
}
