// Commit log pages held in SharedArrayBuffers, shared with the worker pools. A page covers one aligned
// chunk of one file (chunks never straddle files). Pages that are written to the OS and not the
// current write page may be dropped when the total passes pageCacheBytesMax; reads of dropped ranges
// reload the page from disk.
//
// Memory is recycled, not returned: first-touch page faults cost 8-30 µs per 4 KiB on this class of VM,
// more than encoding a message. Readers get views over an alias of the page's SAB (same memory, a
// distinct JS object); a dropped page is reused only once its alias has been garbage collected, so a
// view handed out earlier never sees its bytes change.
//
// A fresh page is prefaulted in one call (MADV_POPULATE_WRITE, transparent huge pages where the
// kernel allows): measured here 7-8 ms of CPU per 4 MiB page instead of 14-18 ms for 1024 separate
// first-touch faults, which the append path (copyWithCrc) otherwise paid, ~4 µs per 1 KiB message.
// While the cache grows, the next fresh page is prefaulted ahead on a libuv pool thread (as Apache's
// AllocateMappedFileService makes the next file in the background): that was 6-8 % of the main
// thread's time until the cache reached its bound.
import { prefault, prefaultAsync } from './fsio.js';

export interface Page {
  index: number; sab: SharedArrayBuffer; buf: Buffer; dv: DataView; lastUse: number;
  /** the SAB object reader views hold, weakly: its collection means no view is left */
  alias: WeakRef<SharedArrayBuffer> | null;
  /** dropped from the cache, waiting for its alias to die before reuse */
  retired: boolean;
}

export class PageCache {
  private readonly pages = new Map<number, Page>();
  private readonly free: Page[] = [];
  /** the next fresh page, prefaulted ahead on a pool thread (usable once spareReady), or null */
  private spare: Page | null = null;
  private spareReady = false;
  private readonly freeMax: number;
  // The held value must not reach the alias (it would never be collected): page + the WeakRef only.
  private readonly aliases = new FinalizationRegistry<{ page: Page; ref: WeakRef<SharedArrayBuffer> }>((t) => this.aliasDied(t.page, t.ref));
  private bytes = 0;
  private tick = 0;
  /** page indices [pinFrom, pinTo) are read by a worker task in flight: neither dropped nor reused */
  pinFrom = 0;
  pinTo = 0;
  readonly chunkBytes: number;
  readonly bytesMax: number;
  evictions = 0;
  loads = 0;
  fresh = 0;
  /** fresh pages prefaulted ahead on a pool thread (counted in fresh too) */
  freshAhead = 0;
  recycled = 0;

  constructor(chunkBytes: number, bytesMax: number) {
    this.chunkBytes = chunkBytes;
    this.bytesMax = Math.max(bytesMax, chunkBytes * 4);
    this.freeMax = Math.max(2, Math.floor(this.bytesMax / chunkBytes / 4));
  }

  get(index: number): Page | undefined {
    const p = this.pages.get(index);
    if (p !== undefined) p.lastUse = ++this.tick;
    return p;
  }

  /**
   * A page for `index`. Memory comes from, in order: the free list; the least recently used page below
   * `evictableBelow` when the cache is at its bound (stolen in place); a new SAB. Recycled memory
   * holds stale bytes: callers overwrite what they use and never read past the log's write position.
   */
  create(index: number, evictableBelow: number, fill?: (buf: Buffer) => void): Page {
    let p = this.free.pop();
    if (p === undefined && this.spareReady) {
      p = this.spare!;
      this.spare = null;
      this.spareReady = false;
      this.prepareSpare();
    } else {
      if (p === undefined && this.residentBytes + this.chunkBytes > this.bytesMax) p = this.steal(evictableBelow);
      if (p !== undefined) { this.recycled++; p.retired = false; }
      else {
        p = this.newPage(index);
        prefault(p.buf);
        this.prepareSpare();
      }
    }
    p.index = index;
    p.lastUse = ++this.tick;
    if (fill) { fill(p.buf); this.loads++; }
    this.pages.set(index, p);
    this.bytes += this.chunkBytes;
    return p;
  }

  private newPage(index: number): Page {
    const sab = new SharedArrayBuffer(this.chunkBytes);
    this.fresh++;
    return { index, sab, buf: Buffer.from(sab), dv: new DataView(sab), lastUse: 0, alias: null, retired: false };
  }

  /** While the cache grows: the next fresh page, prefaulted on a pool thread (at most one ahead). */
  private prepareSpare(): void {
    if (prefaultAsync === null || this.spare !== null) return;
    // (create() counts the page it is making only after this: room for both)
    if (this.residentBytes + 2 * this.chunkBytes > this.bytesMax) return;
    const p = this.newPage(-1);
    this.freshAhead++;
    this.spare = p;
    // dropped meanwhile (evict): the callback finds another spare or none and leaves it
    prefaultAsync(p.buf, () => { if (this.spare === p) this.spareReady = true; });
  }

  /** Takes the LRU evictable page without live reader views out of the cache; retires those with views. */
  private steal(evictableBelow: number): Page | undefined {
    let best: Page | undefined;
    for (const p of this.pages.values()) {
      if (p.index < evictableBelow && !this.pinned(p) && (best === undefined || p.lastUse < best.lastUse)) best = p;
    }
    if (best === undefined) return undefined;
    this.pages.delete(best.index);
    this.bytes -= this.chunkBytes;
    this.evictions++;
    if (this.viewed(best)) { best.retired = true; return undefined; }
    return best;
  }

  /** The SAB that views leaving the store must be built on. */
  readerSab(p: Page): SharedArrayBuffer {
    let a = p.alias?.deref();
    if (a === undefined) {
      a = structuredClone(p.sab);
      const ref = new WeakRef(a);
      p.alias = ref;
      this.aliases.register(a, { page: p, ref });
    }
    return a;
  }

  /** True while some view built on the page's alias may still be reachable. */
  private viewed(p: Page): boolean {
    if (p.alias === null) return false;
    if (p.alias.deref() !== undefined) return true;
    p.alias = null; // collected; its finalizer (if still pending) will find a different ref and do nothing
    return false;
  }

  private aliasDied(p: Page, ref: WeakRef<SharedArrayBuffer>): void {
    if (p.alias !== ref) return;
    p.alias = null;
    if (p.retired) { p.retired = false; this.release(p); }
  }

  private release(p: Page): void {
    if (this.free.length < this.freeMax && this.residentBytes + this.chunkBytes <= this.bytesMax) this.free.push(p);
  }

  drop(index: number): void {
    const p = this.pages.get(index);
    if (p === undefined) return;
    this.pages.delete(index);
    this.bytes -= this.chunkBytes;
    if (this.viewed(p)) p.retired = true; else this.release(p);
  }

  /** Over the bound (pages loaded for reads, retired pages returning): drops LRU pages below `evictableBelow`. */
  evict(evictableBelow: number): void {
    if (this.residentBytes <= this.bytesMax) return;
    this.free.length = 0;
    this.spare = null;
    this.spareReady = false;
    if (this.bytes <= this.bytesMax) return;
    const candidates = [...this.pages.values()].filter((p) => p.index < evictableBelow && !this.pinned(p)).sort((a, b) => a.lastUse - b.lastUse);
    for (const p of candidates) {
      if (this.bytes <= this.bytesMax) break;
      this.drop(p.index);
      this.evictions++;
    }
  }

  private pinned(p: Page): boolean { return p.index >= this.pinFrom && p.index < this.pinTo; }

  get residentBytes(): number {
    return this.bytes + (this.free.length + (this.spare !== null ? 1 : 0)) * this.chunkBytes;
  }
  get size(): number { return this.pages.size; }
}
