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

// CRC-32 algebra (zlib's crc32_combine, written from the math): crc(A || B) = (crc(A) * x^(8·|B|)) mod P
// XOR crc(B), for the reflected polynomial with zlib's pre/post inversion. The payload windows are
// fixed, so their CRCs are computed once; a body's CRC is then the CRC of its 20 header bytes moved
// past the payload and combined with its window's CRC, the same value bodyCrc computes byte by byte
// (the consumers' check of every received body still does that full pass).
const CRC_POLY = 0xedb88320;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC_POLY : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** zlib's crc32 of b[from, to) (a few bytes), without a native call or a view. */
function crc32Small(b: Buffer, from = 0, to = b.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** a(x) * b(x) modulo P(x), reflected bit order. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    if (m === 0) break;
    bb = bb & 1 ? (bb >>> 1) ^ CRC_POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(8·n) modulo P(x): the operator that moves a CRC past n zero bytes. */
function shiftOperator(n: number): number {
  let p = 0x80000000; // x^0
  let sq = 0x40000000; // x^1, squared each step: x^(2^k)
  let bits = n * 8;
  while (bits > 0) {
    if (bits & 1) p = multModP(sq, p);
    sq = multModP(sq, sq);
    bits = Math.floor(bits / 2);
  }
  return p;
}

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
  /** CRC of the payload of every window start */
  private readonly windowCrcs = new Int32Array(POOL_WINDOWS);
  /** moves the header fields' CRC past the payload */
  private readonly pastPayload: number;
  /** the payload of every window start, as views made once (Buffer#copy of a part of a buffer makes a view per call) */
  private readonly windows: Buffer[] = [];
  constructor(readonly sizeBytes: number, readonly runId: number, readonly stream: number) {
    if (sizeBytes < BODY_HEADER_BYTES) throw new RangeError(`body size ${sizeBytes} < ${BODY_HEADER_BYTES}`);
    this.payloadBytes = sizeBytes - BODY_HEADER_BYTES;
    this.pool = randomBytes(this.payloadBytes + POOL_WINDOWS);
    this.fields.writeUInt32BE(runId >>> 0, 0);
    this.fields.writeUInt32BE(stream >>> 0, 4);
    for (let i = 0; i < POOL_WINDOWS; i++) {
      const w = this.pool.subarray(i, i + this.payloadBytes);
      this.windows.push(w);
      this.windowCrcs[i] = crc32(w) | 0;
    }
    this.pastPayload = shiftOperator(this.payloadBytes);
  }

  encode(seq: number, bornMs = nowEpochMs()): Buffer {
    return this.encodeInto(Buffer.allocUnsafe(this.sizeBytes), seq, bornMs);
  }

  /** encode() into b (sizeBytes long, e.g. a buffer of an earlier send that has completed); returns b. */
  encodeInto(b: Buffer, seq: number, bornMs = nowEpochMs()): Buffer {
    if (b.length !== this.sizeBytes) throw new RangeError(`body buffer of ${b.length} bytes, not ${this.sizeBytes}`);
    const f = this.fields;
    f.writeUInt32BE(seq >>> 0, 8);
    f.writeDoubleBE(bornMs, 12);
    const start = (seq * 61) % POOL_WINDOWS;
    b.writeUInt32BE(BODY_MAGIC, 0);
    f.copy(b, 4);
    this.windows[start]!.copy(b, BODY_HEADER_BYTES);
    b.writeUInt32BE((multModP(this.pastPayload, crc32Small(f)) ^ this.windowCrcs[start]!) >>> 0, 24);
    return b;
  }
}

/** The body's CRC: its 20 header bytes in JS (no view, no native call), then the payload natively seeded with it. */
export function bodyCrc(b: Buffer): number {
  return crc32(b.subarray(BODY_HEADER_BYTES), crc32Small(b, 4, 24)) >>> 0;
}

export type BodyFault = 'short' | 'magic' | 'crc';
export type DecodeResult = { ok: true; info: BodyInfo } | { ok: false; reason: BodyFault };

/** What is wrong with a body (structure, checksum), or null when it is intact: the consumer's per-message check, no objects. */
export function checkBody(b: Buffer): BodyFault | null {
  if (b.length < BODY_HEADER_BYTES) return 'short';
  if (b.readUInt32BE(0) !== BODY_MAGIC) return 'magic';
  if (b.readUInt32BE(24) !== bodyCrc(b)) return 'crc';
  return null;
}

/** Checks one body: structure and checksum. */
export function decodeBody(b: Buffer): DecodeResult {
  const fault = checkBody(b);
  if (fault !== null) return { ok: false, reason: fault };
  return { ok: true, info: { runId: b.readUInt32BE(4), stream: b.readUInt32BE(8), seq: b.readUInt32BE(12), bornMs: b.readDoubleBE(16) } };
}
