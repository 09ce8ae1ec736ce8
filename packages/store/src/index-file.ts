// IndexFile: a hash index from "topic#key" to commit log offsets, one file per time span, named by its
// creation time (yyyyMMddHHmmssSSS). Layout: 40-byte header (beginTimestamp, endTimestamp,
// beginPhyOffset, endPhyOffset int64; hashSlotCount, indexCount int32), hashSlotNum int32 slots holding
// the latest entry number for the slot, then 20-byte entries (keyHash int32, phyOffset int64,
// timeDiff int32 seconds since beginTimestamp, previous entry number int32). Entry 0 is unused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readInt64, writeInt64 } from './record.js';
import { DIRTY_PAGE, HASH_SLOT_SIZE, INDEX_HEADER_SIZE, INDEX_SIZE, indexKeyHash, putIndexKey, type IndexHeader } from './index-core.js';
import type { WriteOp } from './flush-types.js';
import { preadAll } from './fsio.js';

export { INDEX_HEADER_SIZE, indexKeyHash };

export function indexFileName(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

export class IndexFile {
  readonly path: string;
  readonly hashSlotNum: number;
  readonly indexNum: number;
  readonly fileSize: number;
  /** header as last published (the dispatch worker works on a copy while a task is in flight) */
  readonly h: IndexHeader = { beginTimestamp: 0, endTimestamp: 0, beginPhyOffset: 0, endPhyOffset: 0, hashSlotCount: 0, indexCount: 1 };
  get beginTimestamp(): number { return this.h.beginTimestamp; }
  get endTimestamp(): number { return this.h.endTimestamp; }
  get endPhyOffset(): number { return this.h.endPhyOffset; }
  get indexCount(): number { return this.h.indexCount; }
  /** in memory while written; older files are read from disk */
  sab: SharedArrayBuffer | null = null;
  buf: Buffer | null = null;
  dv: DataView | null = null;
  /** one byte per 64 KiB of header+slots written since the last flush (shared with the worker) */
  dirtySab: SharedArrayBuffer | null = null;
  private fd = -1;
  private dirtyPages: Uint8Array | null = null;
  private entriesDirtyFrom = -1;
  private entriesDirtyTo = -1;
  private readonly scratch = Buffer.alloc(INDEX_SIZE);

  constructor(filePath: string, hashSlotNum: number, indexNum: number) {
    this.path = filePath;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
    this.fileSize = INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + indexNum * INDEX_SIZE;
  }

  static create(dir: string, nowMs: number, hashSlotNum: number, indexNum: number): IndexFile {
    let name = indexFileName(nowMs);
    while (fs.existsSync(path.join(dir, name))) name = indexFileName(++nowMs);
    const f = new IndexFile(path.join(dir, name), hashSlotNum, indexNum);
    const fd = fs.openSync(f.path, 'w+', 0o644);
    fs.ftruncateSync(fd, f.fileSize);
    fs.closeSync(fd);
    f.openInMemory(false);
    return f;
  }

  /** Reads the header of an existing file; sizes come from the file when it was written with other settings. */
  static open(filePath: string, hashSlotNum: number, indexNum: number): IndexFile {
    const fd = fs.openSync(filePath, 'r');
    const h = Buffer.alloc(INDEX_HEADER_SIZE);
    preadAll(fd, h, 0, INDEX_HEADER_SIZE, 0);
    const size = fs.fstatSync(fd).size;
    fs.closeSync(fd);
    // Apache sizes: derive indexNum from the file size when the slot count matches.
    let slots = hashSlotNum;
    let num = Math.floor((size - INDEX_HEADER_SIZE - slots * HASH_SLOT_SIZE) / INDEX_SIZE);
    if (num <= 0) { slots = 5000000; num = Math.floor((size - INDEX_HEADER_SIZE - slots * HASH_SLOT_SIZE) / INDEX_SIZE); }
    const f = new IndexFile(filePath, slots, Math.max(num, 1));
    f.readHeader(h);
    return f;
  }

  private readHeader(b: Buffer): void {
    const h = this.h;
    h.beginTimestamp = readInt64(b, 0);
    h.endTimestamp = readInt64(b, 8);
    h.beginPhyOffset = readInt64(b, 16);
    h.endPhyOffset = readInt64(b, 24);
    h.hashSlotCount = b.readInt32BE(32);
    h.indexCount = Math.max(1, b.readInt32BE(36));
  }

  private writeHeader(): void {
    const b = this.buf!;
    const h = this.h;
    writeInt64(b, h.beginTimestamp, 0);
    writeInt64(b, h.endTimestamp, 8);
    writeInt64(b, h.beginPhyOffset, 16);
    writeInt64(b, h.endPhyOffset, 24);
    b.writeInt32BE(h.hashSlotCount, 32);
    b.writeInt32BE(h.indexCount, 36);
  }

  /** A dispatch task finished: publish its header and mark the entries it wrote dirty. */
  applyHeader(next: IndexHeader): void {
    const slotsEnd = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
    if (next.indexCount > this.h.indexCount) {
      const from = slotsEnd + this.h.indexCount * INDEX_SIZE;
      if (this.entriesDirtyFrom < 0 || from < this.entriesDirtyFrom) this.entriesDirtyFrom = from;
      this.entriesDirtyTo = Math.max(this.entriesDirtyTo, slotsEnd + next.indexCount * INDEX_SIZE);
    }
    Object.assign(this.h, next);
  }

  /**
   * Bytes of this file held in memory: header and hash slots (hashes spread over all of their pages
   * within the first few thousand keys) and the entries written, in 4 KiB pages; 0 once released.
   */
  residentBytes(): number {
    if (this.buf === null) return 0;
    const used = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE + this.indexCount * INDEX_SIZE;
    return Math.ceil(Math.min(used, this.fileSize) / 4096) * 4096;
  }

  /** Loads header, slots and used entries into shared memory to keep writing this file. */
  openInMemory(load: boolean): void {
    this.sab = new SharedArrayBuffer(this.fileSize);
    this.buf = Buffer.from(this.sab);
    this.dv = new DataView(this.sab);
    this.dirtySab = new SharedArrayBuffer(Math.ceil((INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE) / DIRTY_PAGE));
    this.dirtyPages = new Uint8Array(this.dirtySab);
    if (load) {
      const fd = fs.openSync(this.path, 'r');
      try {
        const used = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE + this.indexCount * INDEX_SIZE;
        preadAll(fd, this.buf, 0, Math.min(used, this.fileSize), 0);
      } finally { fs.closeSync(fd); }
      this.readHeader(this.buf);
    }
  }

  /** Frees the in-memory copy once the file is full and written. */
  release(): void { this.sab = null; this.buf = null; this.dv = null; this.dirtySab = null; this.dirtyPages = null; }

  isFull(): boolean { return this.indexCount >= this.indexNum; }

  /** Adds key -> phyOffset on this thread (recovery); false when full. */
  putKey(key: string, phyOffset: number, storeTimestamp: number): boolean {
    if (this.dv === null || this.dirtyPages === null) return false;
    const before = this.h.indexCount;
    if (!putIndexKey(this.dv, this.dirtyPages, this.h, this.hashSlotNum, this.indexNum, key, phyOffset, storeTimestamp)) return false;
    const slotsEnd = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
    if (this.entriesDirtyFrom < 0) this.entriesDirtyFrom = slotsEnd + before * INDEX_SIZE;
    this.entriesDirtyTo = slotsEnd + this.h.indexCount * INDEX_SIZE;
    return true;
  }

  isTimeMatched(begin: number, end: number): boolean {
    return (begin < this.beginTimestamp && end > this.endTimestamp)
      || (begin >= this.beginTimestamp && begin <= this.endTimestamp)
      || (end >= this.beginTimestamp && end <= this.endTimestamp);
  }

  private readAt(pos: number, len: number): Buffer {
    if (this.buf !== null) return this.buf.subarray(pos, pos + len);
    if (this.fd < 0) this.fd = fs.openSync(this.path, 'r');
    preadAll(this.fd, this.scratch, 0, len, pos);
    return this.scratch;
  }

  /** Commit log offsets for key, newest first, within [begin, end] ms. */
  selectPhyOffsets(out: number[], key: string, maxNum: number, begin: number, end: number): void {
    if (this.indexCount <= 1) return;
    const keyHash = indexKeyHash(key);
    const absSlot = INDEX_HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    const slotValue = this.readAt(absSlot, 4).readInt32BE(0);
    if (slotValue <= 0 || slotValue > this.indexCount) return;
    let next = slotValue;
    for (let guard = 0; out.length < maxNum && guard < this.indexNum; guard++) {
      const e = this.readAt(INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE + next * INDEX_SIZE, INDEX_SIZE);
      const h = e.readInt32BE(0);
      const phy = readInt64(e, 4);
      const timeDiff = e.readInt32BE(12);
      const prev = e.readInt32BE(16);
      if (timeDiff < 0) break;
      const timeRead = this.beginTimestamp + timeDiff * 1000;
      if (h === keyHash && timeRead >= begin && timeRead <= end) out.push(phy);
      if (prev <= 0 || prev > this.indexCount || prev === next || timeRead < begin) break;
      next = prev;
    }
  }

  takeWriteOps(ops: WriteOp[]): void {
    if (this.sab === null || this.dirtyPages === null) return;
    if (this.dirtyPages[0] !== 0) this.writeHeader();
    const slotsEnd = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
    const d = this.dirtyPages;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === 0) continue;
      let j = i;
      while (j + 1 < d.length && d[j + 1] !== 0) j++;
      const from = i * DIRTY_PAGE;
      const to = Math.min((j + 1) * DIRTY_PAGE, slotsEnd);
      ops.push({ path: this.path, fileOffset: from, sab: this.sab, sabOffset: from, length: to - from });
      for (let k = i; k <= j; k++) d[k] = 0;
      i = j;
    }
    if (this.entriesDirtyFrom >= 0) {
      ops.push({ path: this.path, fileOffset: this.entriesDirtyFrom, sab: this.sab, sabOffset: this.entriesDirtyFrom, length: this.entriesDirtyTo - this.entriesDirtyFrom });
      this.entriesDirtyFrom = this.entriesDirtyTo = -1;
    }
  }

  close(): void { if (this.fd >= 0) { fs.closeSync(this.fd); this.fd = -1; } }

  destroy(): void { this.close(); this.release(); fs.rmSync(this.path, { force: true }); }
}
