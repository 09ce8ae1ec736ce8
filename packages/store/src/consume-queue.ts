// ConsumeQueue: per topic/queue index into the commit log. Files <root>/consumequeue/<topic>/<queueId>/
// <20-digit byte offset> hold 20-byte entries (commit log offset int64, size int32, tags code int64).
// Entry i lives at byte i*20. Files are kept in shared memory while used; the flush pool writes
// their dirty ranges. Invariant: entries [minOffset, maxOffset) are valid and point below the
// commit log's committed position.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { offsetFileName } from './commit-log.js';
import { readInt64, writeInt32, writeInt64 } from './record.js';
import type { WriteOp } from './flush-types.js';
import { preadAll } from './fsio.js';
import { invariant } from './invariant.js';

export const CQ_UNIT = 20;
/** The size field of the blank entries that fill a queue's first file up to its first entry. */
const BLANK_SIZE = 0x7fffffff;

interface CqFile { index: number; path: string; sab: SharedArrayBuffer | null; buf: Buffer | null; dirtyFrom: number; dirtyTo: number; lastUse: number }

export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  readonly dir: string;
  readonly fileSize: number;
  readonly perFile: number;
  private files = new Map<number, CqFile>();
  minOffset = 0;
  /** entries [minOffset, maxOffset) are visible */
  maxOffset = 0;
  /** next queue offset to assign at append (>= maxOffset) */
  nextOffset = 0;
  /** greatest commit log end (offset + size) referenced */
  maxPhyEnd = 0;
  touched = false;
  private tick = 0;
  /** the file appends go to (skips the map lookup per entry) */
  private last: CqFile | null = null;

  constructor(root: string, topic: string, queueId: number, fileSize: number) {
    this.topic = topic;
    this.queueId = queueId;
    this.dir = path.join(root, 'consumequeue', topic, String(queueId));
    this.fileSize = fileSize - (fileSize % CQ_UNIT);
    this.perFile = this.fileSize / CQ_UNIT;
  }

  /** Loads existing files and finds min/max by scanning entries. */
  load(): void {
    if (!fs.existsSync(this.dir)) return;
    const names = fs.readdirSync(this.dir).filter((n) => /^\d{20}$/.test(n)).sort();
    for (const n of names) {
      const idx = Math.floor(Number(n) / this.fileSize);
      this.files.set(idx, { index: idx, path: path.join(this.dir, n), sab: null, buf: null, dirtyFrom: -1, dirtyTo: -1, lastUse: 0 });
    }
    if (names.length === 0) return;
    const idxs = [...this.files.keys()].sort((a, b) => a - b);
    // min: first valid entry of the first file (files may start with blank entries)
    const first = this.fileBuf(idxs[0])!;
    let min = idxs[0] * this.perFile;
    for (let i = 0; i < this.perFile; i++) {
      const size = first.readInt32BE(i * CQ_UNIT + 8);
      const phy = readInt64(first, i * CQ_UNIT);
      if (size > 0 && size !== BLANK_SIZE && phy >= 0) { min = idxs[0] * this.perFile + i; break; }
      min = idxs[0] * this.perFile + i + 1;
    }
    // max: scan the last files for the first invalid entry
    let max = min;
    for (let k = Math.max(0, idxs.length - 2); k < idxs.length; k++) {
      const buf = this.fileBuf(idxs[k])!;
      for (let i = 0; i < this.perFile; i++) {
        const size = buf.readInt32BE(i * CQ_UNIT + 8);
        const phy = readInt64(buf, i * CQ_UNIT);
        const q = idxs[k] * this.perFile + i;
        if (size > 0 && phy >= 0 && size !== BLANK_SIZE) {
          if (q >= max) { max = q + 1; this.maxPhyEnd = Math.max(this.maxPhyEnd, phy + size); }
        } else if (size === 0 && phy === 0 && q >= min) break;
      }
    }
    this.minOffset = Math.min(min, max);
    this.maxOffset = max;
    this.nextOffset = max;
  }

  private fileBuf(idx: number): Buffer | null {
    const f = this.files.get(idx);
    if (f === undefined) return null;
    f.lastUse = ++this.tick;
    if (f.buf === null) {
      f.sab = new SharedArrayBuffer(this.fileSize);
      f.buf = Buffer.from(f.sab);
      if (fs.existsSync(f.path)) {
        const fd = fs.openSync(f.path, 'r');
        try { preadAll(fd, f.buf, 0, this.fileSize, 0); } finally { fs.closeSync(fd); }
      }
    }
    return f.buf;
  }

  private fileForWrite(idx: number): CqFile {
    let f = this.last !== null && this.last.index === idx ? this.last : this.files.get(idx);
    if (f === undefined) {
      fs.mkdirSync(this.dir, { recursive: true });
      f = { index: idx, path: path.join(this.dir, offsetFileName(idx * this.fileSize)), sab: null, buf: null, dirtyFrom: -1, dirtyTo: -1, lastUse: 0 };
      this.files.set(idx, f);
      f.sab = new SharedArrayBuffer(this.fileSize);
      f.buf = Buffer.from(f.sab);
      if (fs.existsSync(f.path)) this.fileBuf(idx); // unreachable normally
    } else if (f.buf === null) this.fileBuf(idx);
    this.last = f;
    return f;
  }

  /**
   * Appends the entry for queue offset q (dispatch: records in commit log order). Asserts the order:
   * q is not below maxOffset (no entry is written over) and the record starts at or after the end of
   * the last one referenced; throws InvariantError and writes nothing when either fails.
   */
  put(q: number, phy: number, size: number, tagsCode: number): void {
    invariant(q >= this.maxOffset && phy >= this.maxPhyEnd, 'queue entries are appended in queue and commit log order',
      'q,maxOffset,phy,maxPhyEnd', q, this.maxOffset, phy, this.maxPhyEnd);
    invariant(size > 0 && size < 0x7fffffff, 'a queue entry names a record size', 'q,size', q, size);
    this.rebuild(q, phy, size, tagsCode);
  }

  /**
   * Writes the entry for queue offset q, also over an existing one (recovery rebuilds entries from
   * scanned records; the tail is checked against the log afterwards). A first entry mid-file fills
   * the entries before it with blanks.
   */
  rebuild(q: number, phy: number, size: number, tagsCode: number): void {
    const idx = Math.floor(q / this.perFile);
    const isNewQueue = this.files.size === 0;
    const f = this.fileForWrite(idx);
    const buf = f.buf!;
    const pos = (q - idx * this.perFile) * CQ_UNIT;
    if (isNewQueue && pos > 0) {
      for (let p = 0; p < pos; p += CQ_UNIT) { writeInt64(buf, 0, p); buf.writeInt32BE(BLANK_SIZE, p + 8); writeInt64(buf, 0, p + 12); }
      this.markDirty(f, 0, pos);
      this.minOffset = q;
    }
    if (this.maxOffset === 0 && this.minOffset === 0 && q > 0 && isNewQueue) this.minOffset = q;
    writeInt64(buf, phy, pos);
    writeInt32(buf, size, pos + 8);
    writeInt64(buf, tagsCode, pos + 12);
    this.markDirty(f, pos, pos + CQ_UNIT);
    if (q + 1 > this.maxOffset) this.maxOffset = q + 1;
    if (this.nextOffset < this.maxOffset) this.nextOffset = this.maxOffset;
    if (phy + size > this.maxPhyEnd) this.maxPhyEnd = phy + size;
  }

  private markDirty(f: CqFile, from: number, to: number): void {
    if (f.dirtyFrom < 0 || from < f.dirtyFrom) f.dirtyFrom = from;
    if (to > f.dirtyTo) f.dirtyTo = to;
  }

  /**
   * Bytes of this queue's files held in memory, by 4 KiB pages touched: a whole file up to the last
   * entry written (files read from disk are read whole), as the kernel would count them resident.
   */
  residentBytes(): number {
    let n = 0;
    for (const f of this.files.values()) {
      if (f.buf === null) continue;
      const used = Math.min(this.fileSize, Math.max(0, this.maxOffset - f.index * this.perFile) * CQ_UNIT);
      n += Math.ceil(used / 4096) * 4096;
    }
    return n;
  }

  /** The entry at queue offset q, or false; fills out[0..2] = phy, size, tagsCode. */
  get(q: number, out: Float64Array): boolean {
    if (q < this.minOffset || q >= this.maxOffset) return false;
    const idx = Math.floor(q / this.perFile);
    const buf = this.fileBuf(idx);
    if (buf === null) return false;
    const pos = (q - idx * this.perFile) * CQ_UNIT;
    out[0] = readInt64(buf, pos);
    out[1] = buf.readInt32BE(pos + 8);
    out[2] = readInt64(buf, pos + 12);
    return true;
  }

  /**
   * Dirty ranges as write ops; clears their dirty marks. With leastPages > 0 (a periodic flush, as
   * Apache's flushConsumeQueueLeastPages) a file whose dirty range spans fewer 4 KiB page boundaries
   * stays dirty and unwritten: returns the commit log offset of its first held-back entry (the
   * checkpoint must not vouch past it), else Infinity. Ranges that do not start at an appended entry
   * (blank fill, truncation) are always written.
   */
  takeWriteOps(ops: WriteOp[], leastPages = 0): number {
    let heldPhy = Infinity;
    for (const f of this.files.values()) {
      if (f.dirtyFrom < 0 || f.sab === null) continue;
      if (leastPages > 0 && (f.dirtyTo >> 12) - (f.dirtyFrom >> 12) < leastPages) {
        const size = f.buf!.readInt32BE(f.dirtyFrom + 8);
        if (size > 0 && size !== BLANK_SIZE) {
          const phy = readInt64(f.buf!, f.dirtyFrom);
          if (phy < heldPhy) heldPhy = phy;
          continue;
        }
      }
      ops.push({ path: f.path, fileOffset: f.dirtyFrom, sab: f.sab, sabOffset: f.dirtyFrom, length: f.dirtyTo - f.dirtyFrom });
      f.dirtyFrom = f.dirtyTo = -1;
    }
    return heldPhy;
  }

  /** Files may need to exist before the flush worker writes them (it opens O_CREAT anyway). */
  /** Drops in-memory copies of clean files other than the last one. */
  trimMemory(keepLast = 2): void {
    const idxs = [...this.files.keys()].sort((a, b) => a - b);
    for (let k = 0; k < idxs.length - keepLast; k++) {
      const f = this.files.get(idxs[k])!;
      if (f.dirtyFrom < 0 && f.buf !== null && this.tick - f.lastUse > 1000) { f.buf = null; f.sab = null; }
    }
  }

  /** Removes entries at or after queue offset q (recovery: they point past the log's end). */
  truncateFrom(q: number): void {
    if (q >= this.maxOffset) return;
    for (let i = q; i < this.maxOffset; i++) {
      const idx = Math.floor(i / this.perFile);
      const f = this.files.get(idx);
      if (!f) continue;
      const buf = this.fileBuf(idx)!;
      const pos = (i - idx * this.perFile) * CQ_UNIT;
      buf.fill(0, pos, pos + CQ_UNIT);
      this.markDirty(f, pos, pos + CQ_UNIT);
    }
    this.maxOffset = Math.max(q, this.minOffset);
    this.nextOffset = this.maxOffset;
    this.maxPhyEnd = 0;
    const out = new Float64Array(3);
    if (this.maxOffset > this.minOffset && this.get(this.maxOffset - 1, out)) this.maxPhyEnd = out[0] + out[1];
  }

  /** Deletes files whose entries all point below minPhy (except the last), and moves minOffset. */
  deleteExpired(minPhy: number): number {
    const idxs = [...this.files.keys()].sort((a, b) => a - b);
    const out = new Float64Array(3);
    let deleted = 0;
    for (let k = 0; k + 1 < idxs.length; k++) {
      const lastQ = (idxs[k] + 1) * this.perFile - 1;
      if (!this.getRaw(lastQ, out) || out[0] + out[1] > minPhy) break;
      const f = this.files.get(idxs[k])!;
      this.files.delete(idxs[k]);
      if (this.last === f) this.last = null;
      fs.rmSync(f.path, { force: true });
      deleted++;
    }
    this.correctMinOffset(minPhy);
    return deleted;
  }

  private getRaw(q: number, out: Float64Array): boolean {
    const idx = Math.floor(q / this.perFile);
    const buf = this.fileBuf(idx);
    if (buf === null) return false;
    const pos = (q - idx * this.perFile) * CQ_UNIT;
    out[0] = readInt64(buf, pos); out[1] = buf.readInt32BE(pos + 8); out[2] = readInt64(buf, pos + 12);
    return true;
  }

  /** minOffset = first entry at or after the commit log's first offset. */
  correctMinOffset(minPhy: number): void {
    const out = new Float64Array(3);
    const firstIdx = Math.min(...this.files.keys());
    let q = Math.max(this.minOffset, Number.isFinite(firstIdx) ? firstIdx * this.perFile : 0);
    while (q < this.maxOffset && this.getRaw(q, out) && (out[0] < minPhy || out[1] === BLANK_SIZE || out[1] <= 0)) q++;
    this.minOffset = Math.min(q, this.maxOffset);
  }

  destroy(): void {
    this.files.clear();
    this.last = null;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get fileCount(): number { return this.files.size; }
}
