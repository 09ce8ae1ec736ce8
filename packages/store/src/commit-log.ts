// CommitLog: one append-only log for every topic, split into fixed-size files named by their start
// offset (20 digits). Records are appended on the main thread straight into shared pages; the flush
// pool writes them out. Invariants: writePos >= committedPos (handed to the OS) >= flushedPos (on disk);
// a record never crosses a file boundary (a blank record fills a file's tail); bytes below committedPos
// are on the OS, so their pages may be dropped and re-read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PageCache } from './page-cache.js';
import { BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH, checkRecord } from './record.js';
import { copyRange, fadvise, preadAll, preallocate } from './fsio.js';
import { invariant } from './invariant.js';

const FADV_WILLNEED = 3;
import type { WriteOp } from './flush-types.js';

export interface LogFile { from: number; path: string; /** end of written bytes once sealed (blank included), else -1 */ sealedAt: number; readFd: number }

export function offsetFileName(offset: number): string { return String(offset).padStart(20, '0'); }

export class StoreIOError extends Error {
  readonly code: string;
  constructor(message: string, code: string) { super(message); this.code = code; }
}

export class CommitLog {
  readonly dir: string;
  readonly fileSize: number;
  readonly cache: PageCache;
  files: LogFile[] = [];
  writePos = 0;
  committedPos = 0;
  flushedPos = 0;
  /** where the target of the current append lives: a page buffer or the scratch buffer. */
  tBuf: Buffer;
  tDv: DataView;
  tPos = 0;
  private scratch: Buffer;
  private scratchDv: DataView;
  private usingScratch = false;

  constructor(dir: string, fileSize: number, chunkBytes: number, cacheBytesMax: number, maxRecordBytes: number) {
    this.dir = dir;
    this.fileSize = fileSize;
    let chunk = Math.min(chunkBytes, fileSize);
    if (fileSize % chunk !== 0) chunk = fileSize;
    this.cache = new PageCache(chunk, cacheBytesMax);
    this.scratch = Buffer.alloc(maxRecordBytes);
    this.scratchDv = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
    this.tBuf = this.scratch;
    this.tDv = this.scratchDv;
  }

  /** Lists existing files; all must have the configured size (as Apache requires). */
  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs.readdirSync(this.dir).filter((n) => /^\d{20}$/.test(n)).sort();
    for (const n of names) {
      const p = path.join(this.dir, n);
      const size = fs.statSync(p).size;
      if (size !== this.fileSize) {
        throw new Error(`commit log file ${p} is ${size} bytes, mappedFileSizeCommitLog is ${this.fileSize}: check the configuration`);
      }
      this.files.push({ from: Number(n), path: p, sealedAt: -1, readFd: -1 });
    }
    for (let i = 1; i < this.files.length; i++) {
      if (this.files[i].from !== this.files[i - 1].from + this.fileSize) throw new Error(`commit log files are not contiguous at ${this.files[i].path}`);
    }
    for (let i = 0; i + 1 < this.files.length; i++) this.files[i].sealedAt = this.files[i].from + this.fileSize;
  }

  get minOffset(): number { return this.files.length > 0 ? this.files[0].from : 0; }

  fileFor(offset: number): LogFile | undefined {
    if (this.files.length === 0) return undefined;
    const i = Math.floor((offset - this.files[0].from) / this.fileSize);
    return i >= 0 && i < this.files.length ? this.files[i] : undefined;
  }

  private createFile(from: number): LogFile {
    const p = path.join(this.dir, offsetFileName(from));
    let fd = -1;
    try {
      fd = fs.openSync(p, 'w+', 0o644);
      preallocate(fd, this.fileSize);
    } catch (e) {
      if (fd >= 0) { try { fs.closeSync(fd); fs.unlinkSync(p); } catch { /* best effort */ } }
      const err = e as NodeJS.ErrnoException;
      throw new StoreIOError(`cannot create commit log file ${p}: ${err.message}`, err.code ?? 'EIO');
    }
    const f: LogFile = { from, path: p, sealedAt: -1, readFd: fd };
    this.files.push(f);
    return f;
  }

  /**
   * Makes room for `size` bytes in one file, writing a blank record and rolling to a new file when
   * the current one is too full. Returns the offset where the bytes go. Throws StoreIOError.
   */
  prepare(size: number): number {
    let file = this.fileFor(this.writePos);
    if (file === undefined || file.sealedAt >= 0) {
      const from = this.files.length === 0 ? this.writePos : this.files[this.files.length - 1].from + this.fileSize;
      file = this.createFile(from);
      this.writePos = from;
      return from;
    }
    const left = file.from + this.fileSize - this.writePos;
    if (size + END_FILE_MIN_BLANK_LENGTH > left) {
      // A blank record marks the end of this file; the rest of the file stays zero.
      const blankAt = this.writePos;
      this.target(blankAt, 8);
      this.tDv.setInt32(this.tPos, left);
      this.tDv.setInt32(this.tPos + 4, BLANK_MAGIC_CODE);
      this.finish(blankAt, 8);
      file.sealedAt = blankAt + 8;
      const next = this.createFile(file.from + this.fileSize);
      this.writePos = next.from;
      return next.from;
    }
    return this.writePos;
  }

  private pageForWrite(pos: number) {
    const idx = Math.floor(pos / this.cache.chunkBytes);
    let page = this.cache.get(idx);
    if (page === undefined) {
      const pageStart = idx * this.cache.chunkBytes;
      // A page that already has bytes on disk (restart in the middle of a page) is loaded first.
      page = pageStart < this.committedPos ? this.loadPage(idx) : this.cache.create(idx, this.evictableBelow());
    }
    return page;
  }

  /**
   * Points tBuf/tPos at where a record of `size` bytes at `phy` is encoded. Asserts that the append
   * starts at the write position (commit log offsets strictly increase) and stays in the last file.
   */
  target(phy: number, size: number): void {
    const fileFrom = this.files.length > 0 ? this.files[this.files.length - 1].from : -1;
    invariant(phy === this.writePos && size > 0 && fileFrom >= 0 && phy >= fileFrom && phy + size <= fileFrom + this.fileSize,
      'an append starts at the write position and fits in the last file', 'phy,size,writePos,fileFrom', phy, size, this.writePos, fileFrom);
    const chunk = this.cache.chunkBytes;
    const page = this.pageForWrite(phy);
    const off = phy - page.index * chunk;
    if (off + size <= chunk) {
      this.tBuf = page.buf; this.tDv = page.dv; this.tPos = off; this.usingScratch = false;
    } else {
      if (this.scratch.length < size) {
        this.scratch = Buffer.alloc(size);
        this.scratchDv = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
      }
      this.tBuf = this.scratch; this.tDv = this.scratchDv; this.tPos = 0; this.usingScratch = true;
    }
  }

  /** Completes an append started with target(): copies a page-straddling record into its pages. */
  finish(phy: number, size: number): void {
    invariant(phy === this.writePos, 'an append finishes where it started', 'phy,writePos', phy, this.writePos);
    if (this.usingScratch) {
      const chunk = this.cache.chunkBytes;
      let done = 0;
      while (done < size) {
        const page = this.pageForWrite(phy + done);
        const off = phy + done - page.index * chunk;
        const n = Math.min(size - done, chunk - off);
        this.scratch.copy(page.buf, off, done, done + n);
        done += n;
      }
      this.usingScratch = false;
    }
    this.writePos = phy + size;
  }

  private loadPage(idx: number) {
    const chunk = this.cache.chunkBytes;
    const pageStart = idx * chunk;
    const file = this.fileFor(pageStart);
    if (file === undefined) throw new StoreIOError(`no commit log file holds offset ${pageStart}`, 'ENOENT');
    return this.cache.create(idx, this.evictableBelow(), (buf) => {
      preadAll(this.readFd(file), buf, 0, chunk, pageStart - file.from);
    });
  }

  /** Pages below this index are entirely on the OS: they may be dropped or reused. */
  private evictableBelow(): number { return Math.floor(this.committedPos / this.cache.chunkBytes); }

  /** Pins the pages of [from, to) for a worker task (empty range: unpin); dropping/reuse skips them. */
  pin(from: number, to: number): void {
    const chunk = this.cache.chunkBytes;
    this.cache.pinFrom = Math.floor(from / chunk);
    this.cache.pinTo = to > from ? Math.ceil(to / chunk) : this.cache.pinFrom;
  }

  /** The resident pages covering [from, to), for a worker task (it reads the others from disk). */
  pagesFor(from: number, to: number): { index: number; sab: SharedArrayBuffer }[] {
    const out: { index: number; sab: SharedArrayBuffer }[] = [];
    const chunk = this.cache.chunkBytes;
    for (let i = Math.floor(from / chunk); i * chunk < to; i++) {
      const p = this.cache.get(i);
      if (p !== undefined) out.push({ index: i, sab: p.sab });
    }
    return out;
  }

  readFd(file: LogFile): number {
    if (file.readFd < 0) file.readFd = fs.openSync(file.path, 'r');
    return file.readFd;
  }

  /**
   * The bytes [phy, phy+size): a view over a shared page when they sit in one page, else a copy.
   * null when the range is not in the log.
   */
  read(phy: number, size: number): Buffer | null {
    if (phy < this.minOffset || phy + size > this.writePos || size <= 0) return null;
    const chunk = this.cache.chunkBytes;
    const idx = Math.floor(phy / chunk);
    const off = phy - idx * chunk;
    if (off + size <= chunk) {
      const page = this.cache.get(idx) ?? this.loadPageForRead(idx);
      if (page === null) return null;
      return Buffer.from(this.cache.readerSab(page), off, size);
    }
    const out = Buffer.allocUnsafe(size);
    return this.copyOut(phy, size, out, 0) ? out : null;
  }

  /**
   * Copies [phy, phy+size) into dst at dstPos (pages loaded from disk as needed); false when the
   * range is not in the log. Unlike read(), nothing keeps a page alive afterwards: the page may be
   * dropped or reused at once, so a consumer working through a backlog stays within the cache bound.
   */
  copyOut(phy: number, size: number, dst: Buffer, dstPos: number): boolean {
    if (phy < this.minOffset || phy + size > this.writePos || size <= 0) return false;
    const chunk = this.cache.chunkBytes;
    let done = 0;
    while (done < size) {
      const i = Math.floor((phy + done) / chunk);
      const o = phy + done - i * chunk;
      const page = this.cache.get(i) ?? this.loadPageForRead(i);
      if (page === null) return false;
      const n = Math.min(size - done, chunk - o);
      copyRange(dst, dstPos + done, page.buf, o, n);
      done += n;
    }
    return true;
  }

  private loadPageForRead(idx: number) {
    try {
      const page = this.loadPage(idx);
      // consumers read forward: ask the kernel to start reading the next page now
      const next = (idx + 1) * this.cache.chunkBytes;
      const file = this.fileFor(next);
      if (file !== undefined && next < this.committedPos) fadvise(this.readFd(file), next - file.from, this.cache.chunkBytes, FADV_WILLNEED);
      return page;
    } catch {
      return null;
    }
  }

  /** Write ops for [from, to): one per page piece, skipping the zero tail after a blank record. */
  writeOps(from: number, to: number): WriteOp[] {
    const ops: WriteOp[] = [];
    const chunk = this.cache.chunkBytes;
    let pos = from;
    while (pos < to) {
      const file = this.fileFor(pos);
      invariant(file !== undefined, 'a flush range lies in the log', 'pos,from,to', pos, from, to);
      const fileEnd = file.sealedAt >= 0 ? file.sealedAt : file.from + this.fileSize;
      if (pos >= fileEnd) { pos = file.from + this.fileSize; continue; }
      const idx = Math.floor(pos / chunk);
      const page = this.cache.get(idx);
      invariant(page !== undefined, 'a dirty page is resident until written', 'page,pos,committedPos', idx, pos, this.committedPos);
      const end = Math.min(to, (idx + 1) * chunk, fileEnd);
      ops.push({ path: file.path, fileOffset: pos - file.from, sab: page.sab, sabOffset: pos - idx * chunk, length: end - pos });
      pos = end;
    }
    return ops;
  }

  /** [.., pos) is handed to the OS: drops pages now fully written when over the bound. */
  committed(pos: number): void {
    invariant(pos >= this.committedPos && pos <= this.writePos, 'committedPos only grows and never passes writePos',
      'pos,committedPos,writePos', pos, this.committedPos, this.writePos);
    this.committedPos = pos;
    this.cache.evict(this.evictableBelow());
  }

  /** [.., pos) is on disk (fdatasync'd). */
  flushed(pos: number): void {
    invariant(pos >= this.flushedPos && pos <= this.committedPos, 'flushedPos only grows and never passes committedPos',
      'pos,flushedPos,committedPos', pos, this.flushedPos, this.committedPos);
    this.flushedPos = pos;
  }

  /**
   * Recovery scan from `start`: calls onRecord for each valid record, stops at the first zero,
   * torn or corrupt record. Returns the end of the valid log.
   */
  scan(start: number, checkCrc: boolean, maxRecordBytes: number,
    onRecord: (buf: Buffer, pos: number, phy: number, size: number) => void,
    log: (msg: string) => void): number {
    if (this.files.length === 0) return start;
    if (start < this.minOffset) start = this.minOffset;
    const window = Buffer.allocUnsafe(Math.max(8 * 1024 * 1024, maxRecordBytes * 2));
    let phy = start;
    for (;;) {
      const file = this.fileFor(phy);
      if (file === undefined) return phy;
      const fd = this.readFd(file);
      let winStart = phy;
      let winLen = preadAll(fd, window, 0, Math.min(window.length, file.from + this.fileSize - phy), phy - file.from);
      const fileEnd = file.from + this.fileSize;
      let nextFile = false;
      for (;;) {
        let pos = phy - winStart;
        if (winStart + winLen < fileEnd && winLen - pos < maxRecordBytes + 8 && pos > 0) {
          // the next record may continue past the window: slide the window to it
          winStart = phy;
          winLen = preadAll(fd, window, 0, Math.min(window.length, fileEnd - phy), phy - file.from);
          pos = 0;
        }
        const r = checkRecord(window, pos, winLen, checkCrc, maxRecordBytes);
        if (r.kind === 'ok') { onRecord(window, pos, phy, r.size); phy += r.size; continue; }
        if (r.kind === 'blank') {
          file.sealedAt = phy + 8;
          phy = fileEnd;
          nextFile = true;
          break;
        }
        if (r.kind === 'corrupt') log(`commit log: ${r.reason} at offset ${phy}; the log ends there`);
        return phy;
      }
      if (!nextFile) return phy;
      if (this.fileFor(phy) === undefined) return phy;
    }
  }

  /**
   * Makes `end` the end of the log: deletes later files and zeroes leftover bytes after it in its file
   * (a torn tail), so a later scan cannot mistake them for records.
   */
  truncateTo(end: number, log: (msg: string) => void): void {
    while (this.files.length > 0 && this.files[this.files.length - 1].from > end) {
      const f = this.files.pop()!;
      if (f.readFd >= 0) fs.closeSync(f.readFd);
      fs.unlinkSync(f.path);
      log(`commit log: deleted ${f.path}, beyond the valid end ${end}`);
    }
    const file = this.fileFor(end);
    if (file === undefined) { this.writePos = this.committedPos = this.flushedPos = end; return; }
    // `end` lies inside this file, which is the last one now: the scan stopped before any blank record
    // in it, so it is open for appends again (load() marked every file but the last sealed; one left
    // sealed here made appends roll to a new file the next restart deletes, as it finds no blank).
    file.sealedAt = -1;
    const fd = fs.openSync(file.path, 'r+');
    try {
      const block = Buffer.alloc(1024 * 1024);
      const zeros = Buffer.alloc(block.length);
      let pos = end - file.from;
      let zeroed = 0;
      while (pos < this.fileSize) {
        const n = preadAll(fd, block, 0, Math.min(block.length, this.fileSize - pos), pos);
        if (n <= 0) break;
        let dirty = false;
        for (let i = 0; i < n; i++) if (block[i] !== 0) { dirty = true; break; }
        if (!dirty) break;
        fs.writeSync(fd, zeros, 0, n, pos);
        zeroed += n;
        pos += n;
      }
      if (zeroed > 0) { fs.fdatasyncSync(fd); log(`commit log: zeroed a torn tail of ${zeroed} bytes after offset ${end}`); }
    } finally {
      fs.closeSync(fd);
    }
    this.writePos = this.committedPos = this.flushedPos = end;
  }

  /**
   * Rolls the log back to `end` (the end of the last whole record handed to the OS) after a failed
   * write: appends in [end, writePos) never reached the file whole and were never acknowledged.
   * Files wholly after `end` (created for those appends) are deleted, a blank record at or after
   * `end` is dropped (its file is open for writing again). Returns the paths deleted, whose cached
   * descriptors must be closed. The bytes the failed write left in the file are zeroed by zeroRange.
   */
  rollbackTo(end: number): string[] {
    const gone: string[] = [];
    while (this.files.length > 0 && this.files[this.files.length - 1].from > end) {
      const f = this.files.pop()!;
      if (f.readFd >= 0) { try { fs.closeSync(f.readFd); } catch { /* gone */ } f.readFd = -1; }
      try { fs.rmSync(f.path, { force: true }); } catch { /* zeroRange covers what stays */ }
      gone.push(f.path);
    }
    const file = this.fileFor(end);
    if (file !== undefined && file.sealedAt > end) file.sealedAt = -1;
    this.writePos = end;
    this.usingScratch = false;
    return gone;
  }

  /**
   * Zeroes the non-zero bytes of [from, to) in the files that still exist (what a failed write left
   * after the log's end), so neither a later scan nor a restart can take them for records. Only
   * blocks that hold bytes are overwritten (they are allocated: no new space is needed). Throws
   * StoreIOError.
   */
  zeroRange(from: number, to: number): void {
    const block = Buffer.alloc(256 * 1024);
    const zeros = Buffer.alloc(block.length);
    let pos = from;
    while (pos < to) {
      const file = this.fileFor(pos);
      if (file === undefined) return;
      const fileEnd = Math.min(to, file.from + this.fileSize);
      let fd = -1;
      try {
        fd = fs.openSync(file.path, 'r+');
        while (pos < fileEnd) {
          const len = Math.min(block.length, fileEnd - pos);
          const n = preadAll(fd, block, 0, len, pos - file.from);
          if (n <= 0) break;
          let dirty = false;
          for (let i = 0; i < n; i++) if (block[i] !== 0) { dirty = true; break; }
          if (dirty) fs.writeSync(fd, zeros, 0, n, pos - file.from);
          pos += len;
        }
        fs.fdatasyncSync(fd);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new StoreIOError(`cannot zero the unwritten tail of ${file.path}: ${err.message}`, err.code ?? 'EIO');
      } finally {
        if (fd >= 0) { try { fs.closeSync(fd); } catch { /* gone */ } }
      }
      pos = Math.max(pos, file.from + this.fileSize);
    }
  }

  /** Removes the oldest file (retention). */
  deleteFirstFile(): LogFile | undefined {
    const f = this.files.shift();
    if (f === undefined) return undefined;
    const chunk = this.cache.chunkBytes;
    for (let i = Math.floor(f.from / chunk); i < Math.floor((f.from + this.fileSize) / chunk); i++) this.cache.drop(i);
    if (f.readFd >= 0) { try { fs.closeSync(f.readFd); } catch { /* gone */ } }
    fs.rmSync(f.path, { force: true });
    return f;
  }

  close(): void {
    for (const f of this.files) if (f.readFd >= 0) { try { fs.closeSync(f.readFd); } catch { /* gone */ } f.readFd = -1; }
  }
}
