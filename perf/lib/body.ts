// Message bodies the driver sends and later verifies. Every body carries who sent it (run id +
// stream = producer index), its sequence number, when it was born, and a CRC32 over all of that plus
// the payload, so the consumer side can tell corrupt, foreign, duplicated and missing messages apart.
//
//   0 magic u32 'RMQP' | 4 runId u32 | 8 stream u32 | 12 seq u32 | 16 bornMs f64 | 24 crc32 u32 | 28 payload
//
// crc32 = CRC32(payload, seeded with CRC32(bytes 4..24)) (java.util.zip.CRC32 polynomial, zlib.crc32).
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { BODY_HEADER_BYTES } from './options.js';

export const BODY_MAGIC = 0x524d5150;
export { BODY_HEADER_BYTES };

/** Wall clock with sub-millisecond resolution, comparable across processes on one host. */
export const nowEpochMs = (): number => performance.timeOrigin + performance.now();

export interface BodyInfo { runId: number; stream: number; seq: number; bornMs: number }

/** Builds bodies of one size; payload bytes vary per message (a window into a random pool). */
export class BodyEncoder {
  private readonly pool: Buffer;
  private readonly payloadBytes: number;
  constructor(readonly sizeBytes: number, readonly runId: number, readonly stream: number) {
    if (sizeBytes < BODY_HEADER_BYTES) throw new RangeError(`body size ${sizeBytes} < ${BODY_HEADER_BYTES}`);
    this.payloadBytes = sizeBytes - BODY_HEADER_BYTES;
    this.pool = randomBytes(this.payloadBytes + 4096);
  }

  encode(seq: number, bornMs = nowEpochMs()): Buffer {
    const b = Buffer.allocUnsafe(this.sizeBytes);
    b.writeUInt32BE(BODY_MAGIC, 0);
    b.writeUInt32BE(this.runId >>> 0, 4);
    b.writeUInt32BE(this.stream >>> 0, 8);
    b.writeUInt32BE(seq >>> 0, 12);
    b.writeDoubleBE(bornMs, 16);
    const start = (seq * 61) % 4096;
    this.pool.copy(b, BODY_HEADER_BYTES, start, start + this.payloadBytes);
    b.writeUInt32BE(bodyCrc(b), 24);
    return b;
  }
}

export function bodyCrc(b: Buffer): number {
  return crc32(b.subarray(BODY_HEADER_BYTES), crc32(b.subarray(4, 24))) >>> 0;
}

export type DecodeResult = { ok: true; info: BodyInfo } | { ok: false; reason: 'short' | 'magic' | 'crc' };

/** Checks one body: structure and checksum. */
export function decodeBody(b: Buffer): DecodeResult {
  if (b.length < BODY_HEADER_BYTES) return { ok: false, reason: 'short' };
  if (b.readUInt32BE(0) !== BODY_MAGIC) return { ok: false, reason: 'magic' };
  if (b.readUInt32BE(24) !== bodyCrc(b)) return { ok: false, reason: 'crc' };
  return { ok: true, info: { runId: b.readUInt32BE(4), stream: b.readUInt32BE(8), seq: b.readUInt32BE(12), bornMs: b.readDoubleBE(16) } };
}
