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

const POOL_WINDOWS = 4096;

/**
 * Builds bodies of one size; payload bytes vary per message (a window into a random pool). The CRC
 * is computed over the same bytes as bodyCrc, from a reused copy of the header fields and a view of
 * the payload's pool window made once, so a body costs one buffer and no views.
 */
export class BodyEncoder {
  private readonly pool: Buffer;
  private readonly payloadBytes: number;
  /** bytes 4..24 of the body being built */
  private readonly fields = Buffer.alloc(20);
  /** the payload of every window start, as views made once */
  private readonly windows: Buffer[] = [];
  constructor(readonly sizeBytes: number, readonly runId: number, readonly stream: number) {
    if (sizeBytes < BODY_HEADER_BYTES) throw new RangeError(`body size ${sizeBytes} < ${BODY_HEADER_BYTES}`);
    this.payloadBytes = sizeBytes - BODY_HEADER_BYTES;
    this.pool = randomBytes(this.payloadBytes + POOL_WINDOWS);
    this.fields.writeUInt32BE(runId >>> 0, 0);
    this.fields.writeUInt32BE(stream >>> 0, 4);
  }

  private window(start: number): Buffer {
    let w = this.windows[start];
    if (w === undefined) {
      w = this.pool.subarray(start, start + this.payloadBytes);
      this.windows[start] = w;
    }
    return w;
  }

  encode(seq: number, bornMs = nowEpochMs()): Buffer {
    const f = this.fields;
    f.writeUInt32BE(seq >>> 0, 8);
    f.writeDoubleBE(bornMs, 12);
    const payload = this.window((seq * 61) % POOL_WINDOWS);
    const b = Buffer.allocUnsafe(this.sizeBytes);
    b.writeUInt32BE(BODY_MAGIC, 0);
    f.copy(b, 4);
    payload.copy(b, BODY_HEADER_BYTES);
    b.writeUInt32BE(crc32(payload, crc32(f)) >>> 0, 24);
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
