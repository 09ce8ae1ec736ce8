// Consumed-message verification: every acknowledged send must be consumed, exactly once unless the
// run allows redelivery (producer retries, rebalancing between several consumers), with an intact
// body. Bookkeeping is one bit per (stream, seq) for "acknowledged" and one for "seen", so a run of
// tens of millions of messages costs a few MiB.
import { checkBody } from './body.js';

class BitSet {
  private bits = new Uint8Array(1024);
  count = 0;
  /** Sets the bit; returns true if it was already set. */
  set(i: number): boolean {
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      let n = this.bits.length;
      while (n <= byte) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (i & 7);
    if (this.bits[byte]! & mask) return true;
    this.bits[byte]! |= mask;
    this.count++;
    return false;
  }
  has(i: number): boolean {
    const byte = i >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (i & 7))) !== 0;
  }
  /** Indexes set here but not in `other`, up to `limit` of them, and how many in all. */
  missingFrom(other: BitSet, limit: number): { count: number; first: number[] } {
    const first: number[] = [];
    let count = 0;
    for (let byte = 0; byte < this.bits.length; byte++) {
      const mine = this.bits[byte]!;
      if (mine === 0) continue;
      const missing = mine & ~(byte < other.bits.length ? other.bits[byte]! : 0);
      if (missing === 0) continue;
      for (let b = 0; b < 8; b++) {
        if (missing & (1 << b)) { count++; if (first.length < limit) first.push(byte * 8 + b); }
      }
    }
    return { count, first };
  }
}

export interface VerifyReport {
  enabled: boolean;
  passed: boolean;
  expected: number | null;       // acknowledged (or, oneway, written) sends of this run; null = unknown
  received: number;              // deliveries, duplicates included
  distinct: number;
  duplicates: number;
  duplicatesExpected: boolean;
  missing: number;               // expected but never consumed
  missingSample: string[];       // "stream/seq"
  unexpected: number;            // consumed but never acknowledged (e.g. a send that timed out yet was stored)
  corrupt: number;               // bad magic, short body or crc mismatch
  foreign: number;               // bodies from another run (another run id)
  notes: string[];
}

export interface VerifierOptions {
  runId: number | null;           // null: accept bodies from any run (consume of an existing topic)
  duplicatesExpected: boolean;
}

export class Verifier {
  private readonly acked = new Map<number, BitSet>();
  private readonly seen = new Map<string, BitSet>();
  /** this run's streams' entries of `seen`, by stream number (no key string per delivery) */
  private readonly ownSeen: BitSet[] = [];
  received = 0;
  duplicates = 0;
  corrupt = 0;
  foreign = 0;
  private expectKnown: boolean;
  private readonly corruptReasons = new Map<string, number>();

  constructor(private readonly opts: VerifierOptions) {
    this.expectKnown = opts.runId !== null;
  }

  /** The broker acknowledged (or, oneway, we wrote) message `seq` of `stream`. */
  expect(stream: number, seq: number): void {
    let s = this.acked.get(stream);
    if (!s) this.acked.set(stream, (s = new BitSet()));
    s.set(seq);
  }

  /** One consumed body. Returns the born timestamp for end-to-end latency, or null if not ours/corrupt. */
  receive(body: Buffer): number | null {
    this.received++;
    // (checkBody and the field reads: decodeBody without its result objects, once per delivery)
    const fault = checkBody(body);
    if (fault !== null) {
      this.corrupt++;
      this.corruptReasons.set(fault, (this.corruptReasons.get(fault) ?? 0) + 1);
      return null;
    }
    const runId = body.readUInt32BE(4);
    const stream = body.readUInt32BE(8);
    if (this.opts.runId !== null && runId !== this.opts.runId) { this.foreign++; return null; }
    let s: BitSet | undefined;
    if (this.opts.runId !== null) {
      s = this.ownSeen[stream];
      if (s === undefined) {
        const key = String(stream);
        s = this.seen.get(key);
        if (!s) this.seen.set(key, (s = new BitSet()));
        this.ownSeen[stream] = s;
      }
    } else {
      const key = `${runId}/${stream}`;
      s = this.seen.get(key);
      if (!s) this.seen.set(key, (s = new BitSet()));
    }
    if (s.set(body.readUInt32BE(12))) this.duplicates++;
    return body.readDoubleBE(16);
  }

  distinct(): number {
    let n = 0;
    for (const s of this.seen.values()) n += s.count;
    return n;
  }

  expectedCount(): number {
    let n = 0;
    for (const s of this.acked.values()) n += s.count;
    return n;
  }

  /** True when every expected message has been seen (consumers can stop waiting). */
  complete(): boolean {
    if (!this.expectKnown) return false;
    const expected = this.expectedCount();
    // fewer distinct deliveries than expected messages: not complete, no need to scan the bitsets
    // (the driver asks every 20 ms; the scan was 4-5 % of a consuming driver's CPU)
    if (this.distinct() < expected) return false;
    return this.seenExpected() >= expected;
  }

  private seenExpected(): number {
    let n = 0;
    for (const [stream, acked] of this.acked) {
      const seen = this.seen.get(String(stream));
      if (!seen) continue;
      n += acked.count - acked.missingFrom(seen, 0).count;
    }
    return n;
  }

  report(enabled = true): VerifyReport {
    const notes: string[] = [];
    let missing = 0;
    const missingSample: string[] = [];
    let expectedSeen = 0;
    if (this.expectKnown) {
      const empty = new BitSet();
      for (const [stream, acked] of this.acked) {
        const m = acked.missingFrom(this.seen.get(String(stream)) ?? empty, 10 - missingSample.length);
        missing += m.count;
        expectedSeen += acked.count - m.count;
        for (const seq of m.first) missingSample.push(`${stream}/${seq}`);
      }
    } else {
      notes.push('expected count unknown (consuming messages not produced by this run): checked bodies and duplicates only');
    }
    const distinct = this.distinct();
    const unexpected = this.expectKnown ? distinct - expectedSeen : 0;
    if (this.corrupt) notes.push(`corrupt bodies: ${[...this.corruptReasons].map(([r, n]) => `${r}=${n}`).join(', ')}`);
    if (this.foreign) notes.push(`${this.foreign} messages from other runs were skipped (topic not empty at start)`);
    if (unexpected) notes.push(`${unexpected} consumed messages were never acknowledged (sends that failed or timed out but were stored)`);
    if (this.duplicates) notes.push(this.opts.duplicatesExpected
      ? `${this.duplicates} duplicates (allowed: at-least-once delivery with retries or rebalancing)`
      : `${this.duplicates} duplicates (not expected in this run)`);
    if (missing) notes.push(`${missing} acknowledged messages were not consumed`);
    const passed = enabled && this.corrupt === 0 && missing === 0 && (this.duplicates === 0 || this.opts.duplicatesExpected);
    return {
      enabled, passed, expected: this.expectKnown ? this.expectedCount() : null, received: this.received, distinct,
      duplicates: this.duplicates, duplicatesExpected: this.opts.duplicatesExpected, missing, missingSample, unexpected,
      corrupt: this.corrupt, foreign: this.foreign, notes,
    };
  }
}
