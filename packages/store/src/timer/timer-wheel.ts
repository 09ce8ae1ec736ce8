// Timer wheel persisted beside the commit log (5.x's timerlog + timerwheel, our own layout).
//
// <dir>/timerlog/<20-digit start position>  segments of fixed 32-byte records, appended only:
//     0  int64 deliverMs   when the message is due (epoch ms)
//     8  int64 phyOffset   the staged message in the commit log (topic rmq_sys_wheel_timer)
//    16  int64 prevPos     the previous record of the same slot (-1: end of chain)
//    24  int32 size        the staged record's size in the commit log
//    28  int32 flags       0 (reserved)
// <dir>/timerwheel          the snapshot: a 64-byte header, a JSON tail, and per slot int64 head
//     (position of the slot's newest record, -1 empty) + int32 count. Slot of a record =
//     floor(max(deliverMs, open slot time) / precisionMs) mod slots. A record due more than one round
//     ahead is re-appended ("rolled") when its slot comes round.
//
// Everything pending lives in these files (and in two typed arrays of one number per slot): no JS
// object per timer. The snapshot is written to a temp file, fsynced and renamed every checkpoint
// (after the timerlog up to its writePos is fsynced). Recovery loads the snapshot and truncates the
// timerlog to its writePos; the caller re-enqueues what came after from its own durable queue (the
// `meta` it keeps in the snapshot), and re-delivers slots not yet cleared: at-least-once.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const TIMER_RECORD_BYTES = 32;
const SNAP_MAGIC = 0x544d5231; // "TMR1"
const HEADER_BYTES = 64;
const WRITE_BUF_BYTES = 64 * 1024;
const READ_BLOCK_BYTES = 64 * 1024;

export interface TimerWheelOptions {
  dir: string;
  precisionMs: number;
  slots: number;
  /** Bytes per timerlog segment (a multiple of 32). */
  segmentBytes?: number;
  logger?: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

/** The records of one slot read back: parallel typed arrays, `n` used. */
export class TimerBatch {
  n = 0;
  deliverMs = new Float64Array(256);
  phy = new Float64Array(256);
  size = new Int32Array(256);
  clear(): void { this.n = 0; }
  push(d: number, p: number, s: number): void {
    if (this.n === this.deliverMs.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T, mk: (n: number) => T): T => { const b = mk(a.length * 2); b.set(a); return b; };
      this.deliverMs = grow(this.deliverMs, (k) => new Float64Array(k));
      this.phy = grow(this.phy, (k) => new Float64Array(k));
      this.size = grow(this.size, (k) => new Int32Array(k));
    }
    this.deliverMs[this.n] = d; this.phy[this.n] = p; this.size[this.n] = s; this.n++;
  }
}

interface Segment { start: number; fd: number; maxSlot: number; dirty: boolean }

export class TimerWheel {
  readonly precisionMs: number;
  readonly slots: number;
  readonly segmentBytes: number;
  private readonly heads: Float64Array;
  private readonly counts: Int32Array;
  private readonly logDir: string;
  private readonly snapPath: string;
  private readonly segments: Segment[] = [];
  private writePos = 0;
  /** Unwritten tail of the timerlog: records from bufStart to writePos. */
  private readonly wbuf = Buffer.allocUnsafe(WRITE_BUF_BYTES);
  private bufStart = 0;
  private readonly rbuf = Buffer.allocUnsafe(READ_BLOCK_BYTES);
  /** Timerlog range held in rbuf (read cache of one block). */
  private rStart = -1;
  private rEnd = -1;
  /** Lowest slot (absolute: floor(ms / precision)) not yet cleared. */
  private dequeueSlotAbs = 0;
  private pendingCount = 0;
  private dirty = false;
  private checkpointing: Promise<void> | null = null;
  private closed = false;
  /** Opaque state of the caller, saved with each snapshot. */
  meta = '';
  readonly recovered: boolean;

  private constructor(private readonly opts: TimerWheelOptions) {
    if (!(opts.precisionMs >= 1) || !(opts.slots >= 16)) throw new Error('timer wheel: precisionMs >= 1 and slots >= 16 required');
    this.precisionMs = Math.floor(opts.precisionMs);
    this.slots = Math.floor(opts.slots);
    this.segmentBytes = Math.max(TIMER_RECORD_BYTES * 1024, Math.floor((opts.segmentBytes ?? 32 * 1024 * 1024) / TIMER_RECORD_BYTES) * TIMER_RECORD_BYTES);
    this.heads = new Float64Array(this.slots).fill(-1);
    this.counts = new Int32Array(this.slots);
    this.logDir = path.join(opts.dir, 'timerlog');
    this.snapPath = path.join(opts.dir, 'timerwheel');
    fs.mkdirSync(this.logDir, { recursive: true });
    this.recovered = this.load();
  }

  /** Opens (or creates) the wheel under dir; recovers from the last snapshot. */
  static open(opts: TimerWheelOptions): TimerWheel {
    return new TimerWheel(opts);
  }

  /** Absolute slot number of a time. */
  slotOf(ms: number): number { return Math.floor(ms / this.precisionMs); }
  get dequeueSlot(): number { return this.dequeueSlotAbs; }
  /** Records linked in the wheel (pending timers, rolled ones counted once). */
  get pending(): number { return this.pendingCount; }
  countAt(slotAbs: number): number { return this.counts[slotAbs % this.slots]!; }
  headAt(slotAbs: number): number { return this.heads[slotAbs % this.slots]!; }
  get logBytes(): number { return this.writePos - (this.segments[0]?.start ?? this.writePos); }

  /** Starts the wheel at `slotAbs` when it has never run (a fresh store). */
  initDequeueSlot(slotAbs: number): void {
    if (this.dequeueSlotAbs === 0) { this.dequeueSlotAbs = slotAbs; this.dirty = true; }
  }

  /**
   * Links one timer into the slot of max(deliverMs, the lowest open slot): returns that absolute slot.
   * A slot more than one round ahead shares its index with a nearer one; its records are rolled then.
   */
  append(deliverMs: number, phyOffset: number, size: number, minSlotAbs = this.dequeueSlotAbs): number {
    if (this.closed) throw new Error('timer wheel closed');
    const target = Math.max(this.slotOf(deliverMs), minSlotAbs, this.dequeueSlotAbs);
    const idx = target % this.slots;
    const pos = this.writeRecord(deliverMs, phyOffset, this.heads[idx]!, size, target);
    this.heads[idx] = pos;
    this.counts[idx]!++;
    this.pendingCount++;
    this.dirty = true;
    return target;
  }

  /**
   * Reads the chain of slot `slotAbs` from its head down to (not including) `stopAt` into `out`
   * (appending). Returns the head read, to pass as `stopAt` to read only newer records later.
   */
  read(slotAbs: number, out: TimerBatch, stopAt = -1): number {
    const idx = slotAbs % this.slots;
    const head = this.heads[idx]!;
    let pos = head;
    let guard = this.counts[idx]! + 1;
    while (pos >= 0 && pos !== stopAt && guard-- > 0) {
      const r = this.recordAt(pos);
      if (r === null) { this.opts.logger?.error(`timer wheel: slot ${slotAbs} record at ${pos} unreadable; chain cut`); break; }
      out.push(r.readDoubleLE(0), r.readDoubleLE(8), r.readInt32LE(24));
      pos = r.readDoubleLE(16);
    }
    return head;
  }

  /** Empties slot `slotAbs` (all its records delivered or re-appended) and advances past it. */
  clear(slotAbs: number): void {
    const idx = slotAbs % this.slots;
    this.pendingCount -= this.counts[idx]!;
    this.heads[idx] = -1;
    this.counts[idx] = 0;
    if (slotAbs >= this.dequeueSlotAbs) this.dequeueSlotAbs = slotAbs + 1;
    this.dirty = true;
  }

  /** Advances over empty slots up to (not including) `slotAbs`. */
  skipEmpty(uptoAbs: number): void {
    while (this.dequeueSlotAbs < uptoAbs && this.counts[this.dequeueSlotAbs % this.slots] === 0) {
      this.dequeueSlotAbs++;
      this.dirty = true;
    }
  }

  markDirty(): void { this.dirty = true; }

  // ------------------------------------------------------------------ timerlog

  private segmentFor(pos: number): Segment | undefined {
    const segs = this.segments;
    for (let i = segs.length - 1; i >= 0; i--) { const s = segs[i]!; if (pos >= s.start) return pos < s.start + this.segmentBytes ? s : undefined; }
    return undefined;
  }

  private writeRecord(d: number, phy: number, prev: number, size: number, targetSlot: number): number {
    let pos = this.writePos;
    const segStart = Math.floor(pos / this.segmentBytes) * this.segmentBytes;
    let seg = this.segments[this.segments.length - 1];
    if (seg === undefined || seg.start !== segStart) {
      this.flushBuffer();
      seg = this.openSegment(segStart, true);
      this.bufStart = pos;
    }
    if (pos - this.bufStart + TIMER_RECORD_BYTES > WRITE_BUF_BYTES) this.flushBuffer();
    const at = pos - this.bufStart;
    const b = this.wbuf;
    b.writeDoubleLE(d, at); b.writeDoubleLE(phy, at + 8); b.writeDoubleLE(prev, at + 16);
    b.writeInt32LE(size, at + 24); b.writeInt32LE(0, at + 28);
    if (targetSlot > seg.maxSlot) seg.maxSlot = targetSlot;
    seg.dirty = true;
    pos += TIMER_RECORD_BYTES;
    this.writePos = pos;
    return pos - TIMER_RECORD_BYTES;
  }

  /** Writes the buffered tail to its segment (plain write; fsync at checkpoint). */
  private flushBuffer(): void {
    const n = this.writePos - this.bufStart;
    if (n <= 0) { this.bufStart = this.writePos; return; }
    const seg = this.segmentFor(this.bufStart);
    if (seg === undefined) throw new Error(`timer wheel: no segment for ${this.bufStart}`);
    let off = 0;
    while (off < n) off += fs.writeSync(seg.fd, this.wbuf, off, n - off, this.bufStart - seg.start + off);
    this.bufStart = this.writePos;
  }

  private recordAt(pos: number): Buffer | null {
    if (pos >= this.bufStart && pos + TIMER_RECORD_BYTES <= this.writePos) {
      return this.wbuf.subarray(pos - this.bufStart, pos - this.bufStart + TIMER_RECORD_BYTES);
    }
    if (pos >= this.rStart && pos + TIMER_RECORD_BYTES <= this.rEnd) return this.rbuf.subarray(pos - this.rStart, pos - this.rStart + TIMER_RECORD_BYTES);
    const seg = this.segmentFor(pos);
    if (seg === undefined || pos + TIMER_RECORD_BYTES > this.writePos) return null;
    // Chains run backwards through the log and a slot's records are mostly near each other: read the
    // block that ends at this record (within its segment, below the unwritten buffer).
    const end = Math.min(pos + TIMER_RECORD_BYTES, seg.start + this.segmentBytes, this.bufStart);
    const start = Math.max(seg.start, end - READ_BLOCK_BYTES);
    if (end - start < TIMER_RECORD_BYTES) return null;
    const n = fs.readSync(seg.fd, this.rbuf, 0, end - start, start - seg.start);
    if (n !== end - start) { this.rStart = this.rEnd = -1; return null; }
    this.rStart = start; this.rEnd = end;
    return this.rbuf.subarray(pos - start, pos - start + TIMER_RECORD_BYTES);
  }

  private openSegment(start: number, create: boolean): Segment {
    const file = path.join(this.logDir, String(start).padStart(20, '0'));
    const fd = fs.openSync(file, create ? 'a+' : 'r+');
    fs.closeSync(fd);
    const s: Segment = { start, fd: fs.openSync(file, 'r+'), maxSlot: -1, dirty: false };
    this.segments.push(s);
    return s;
  }

  // ------------------------------------------------------------------ snapshot

  /** Writes the buffered timerlog, fsyncs it, then the snapshot (temp + fsync + rename). */
  checkpoint(force = false): Promise<void> {
    if (this.checkpointing) return this.checkpointing.then(() => (this.dirty || force ? this.checkpoint(force) : undefined));
    if (!this.dirty && !force) return Promise.resolve();
    this.dirty = false;
    this.flushBuffer();
    const image = this.snapshotImage();
    const toSync = this.segments.filter((s) => s.dirty);
    for (const s of toSync) s.dirty = false;
    const dequeue = this.dequeueSlotAbs;
    const work = (async () => {
      for (const s of toSync) await new Promise<void>((res) => fs.fdatasync(s.fd, () => res()));
      const tmp = this.snapPath + '.tmp';
      const fh = await fs.promises.open(tmp, 'w');
      try { await fh.writeFile(image); await fh.datasync(); } finally { await fh.close(); }
      await fs.promises.rename(tmp, this.snapPath);
      this.deleteDeadSegments(dequeue);
    })().catch((e: Error) => { this.dirty = true; this.opts.logger?.error(`timer wheel checkpoint failed: ${e.message}`); })
      .finally(() => { this.checkpointing = null; });
    this.checkpointing = work;
    return work;
  }

  /** Same as checkpoint, synchronously (shutdown). */
  checkpointSync(): void {
    this.flushBuffer();
    for (const s of this.segments) if (s.dirty) { fs.fdatasyncSync(s.fd); s.dirty = false; }
    const tmp = this.snapPath + '.tmp';
    const fd = fs.openSync(tmp, 'w');
    try { fs.writeSync(fd, this.snapshotImage()); fs.fdatasyncSync(fd); } finally { fs.closeSync(fd); }
    fs.renameSync(tmp, this.snapPath);
    this.dirty = false;
  }

  private snapshotImage(): Buffer {
    const tail = Buffer.from(JSON.stringify({
      meta: this.meta, segments: this.segments.map((s) => [s.start, s.maxSlot]),
    }));
    const n = this.slots;
    const buf = Buffer.allocUnsafe(HEADER_BYTES + n * 12 + tail.length);
    buf.fill(0, 0, HEADER_BYTES);
    buf.writeInt32LE(SNAP_MAGIC, 0);
    buf.writeInt32LE(this.precisionMs, 4);
    buf.writeInt32LE(n, 8);
    buf.writeInt32LE(tail.length, 12);
    buf.writeDoubleLE(this.writePos, 16);
    buf.writeDoubleLE(this.dequeueSlotAbs, 24);
    buf.writeDoubleLE(this.pendingCount, 32);
    buf.writeInt32LE(this.segmentBytes, 40);
    Buffer.from(this.heads.buffer, this.heads.byteOffset, n * 8).copy(buf, HEADER_BYTES);
    Buffer.from(this.counts.buffer, this.counts.byteOffset, n * 4).copy(buf, HEADER_BYTES + n * 8);
    tail.copy(buf, HEADER_BYTES + n * 12);
    return buf;
  }

  /** Loads the snapshot; returns false for a fresh wheel. Truncates the timerlog to the snapshot. */
  private load(): boolean {
    let snap: Buffer | null = null;
    try { snap = fs.readFileSync(this.snapPath); } catch { snap = null; }
    const files = fs.readdirSync(this.logDir).filter((f) => /^\d{20}$/.test(f)).sort();
    if (snap === null || snap.length < HEADER_BYTES || snap.readInt32LE(0) !== SNAP_MAGIC) {
      if (snap !== null) this.opts.logger?.error('timer wheel: snapshot unreadable; starting empty (pending timers are re-enqueued by the broker)');
      for (const f of files) fs.rmSync(path.join(this.logDir, f), { force: true });
      return false;
    }
    const precision = snap.readInt32LE(4), n = snap.readInt32LE(8), tailLen = snap.readInt32LE(12);
    const segBytes = snap.readInt32LE(40);
    if (precision !== this.precisionMs || n !== this.slots || segBytes !== this.segmentBytes) {
      throw new Error(`timer wheel at ${this.opts.dir} was made with timerPrecisionMs=${precision} timerWheelSlots=${n}; `
        + `configured ${this.precisionMs}/${this.slots}: keep the old values or move the timer directory away`);
    }
    if (snap.length !== HEADER_BYTES + n * 12 + tailLen) throw new Error(`timer wheel snapshot ${this.snapPath} is truncated`);
    this.writePos = snap.readDoubleLE(16);
    this.dequeueSlotAbs = snap.readDoubleLE(24);
    this.pendingCount = snap.readDoubleLE(32);
    const heads = new Float64Array(n); const counts = new Int32Array(n);
    Buffer.from(heads.buffer).set(snap.subarray(HEADER_BYTES, HEADER_BYTES + n * 8));
    Buffer.from(counts.buffer).set(snap.subarray(HEADER_BYTES + n * 8, HEADER_BYTES + n * 12));
    this.heads.set(heads); this.counts.set(counts);
    const tail = JSON.parse(snap.toString('utf8', HEADER_BYTES + n * 12)) as { meta: string; segments: Array<[number, number]> };
    this.meta = tail.meta;
    const known = new Map(tail.segments);
    for (const f of files) {
      const start = Number(f);
      if (!known.has(start) || start >= this.writePos) fs.rmSync(path.join(this.logDir, f), { force: true });
    }
    for (const [start, maxSlot] of tail.segments) {
      if (start >= this.writePos) continue;
      const file = path.join(this.logDir, String(start).padStart(20, '0'));
      if (!fs.existsSync(file)) { this.opts.logger?.error(`timer wheel: segment ${file} missing; its timers are lost`); continue; }
      this.openSegment(start, false).maxSlot = maxSlot;
    }
    // Records written after the snapshot are dropped: the caller re-enqueues them.
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined) {
      const keep = Math.max(0, this.writePos - last.start);
      if (fs.fstatSync(last.fd).size > keep) fs.ftruncateSync(last.fd, keep);
    }
    this.bufStart = this.writePos;
    return true;
  }

  private deleteDeadSegments(dequeueSlot: number): void {
    while (this.segments.length > 1) {
      const s = this.segments[0]!;
      if (s.maxSlot >= dequeueSlot) break;
      this.segments.shift();
      try { fs.closeSync(s.fd); } catch { /* closed */ }
      fs.rmSync(path.join(this.logDir, String(s.start).padStart(20, '0')), { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.checkpointing) await this.checkpointing;
    this.checkpointSync();
    this.closed = true;
    for (const s of this.segments) { try { fs.closeSync(s.fd); } catch { /* closed */ } }
  }

  /** Closes without a final snapshot (tests: simulate a crash). */
  abandon(): void {
    this.closed = true;
    for (const s of this.segments) { try { fs.closeSync(s.fd); } catch { /* closed */ } }
  }
}
