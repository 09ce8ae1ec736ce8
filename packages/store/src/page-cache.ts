// Commit log pages held in SharedArrayBuffers, shared with the worker pools. A page covers one aligned
// chunk of one file (chunks never straddle files). Pages that are written to the OS and not the
// current write page may be dropped when the total passes pageCacheBytesMax; reads of dropped ranges
// reload the page from disk. Buffers handed out earlier stay valid: they keep their SAB alive.
export interface Page { index: number; sab: SharedArrayBuffer; buf: Buffer; lastUse: number }

export class PageCache {
  private readonly pages = new Map<number, Page>();
  private bytes = 0;
  private tick = 0;
  readonly chunkBytes: number;
  readonly bytesMax: number;
  evictions = 0;
  loads = 0;

  constructor(chunkBytes: number, bytesMax: number) {
    this.chunkBytes = chunkBytes;
    this.bytesMax = Math.max(bytesMax, chunkBytes * 4);
  }

  get(index: number): Page | undefined {
    const p = this.pages.get(index);
    if (p !== undefined) p.lastUse = ++this.tick;
    return p;
  }

  /** A zeroed page, or one filled by `fill` (disk read). */
  create(index: number, fill?: (buf: Buffer) => void): Page {
    const sab = new SharedArrayBuffer(this.chunkBytes);
    const buf = Buffer.from(sab);
    if (fill) { fill(buf); this.loads++; }
    const p: Page = { index, sab, buf, lastUse: ++this.tick };
    this.pages.set(index, p);
    this.bytes += this.chunkBytes;
    return p;
  }

  drop(index: number): void {
    if (this.pages.delete(index)) this.bytes -= this.chunkBytes;
  }

  /** Drops least recently used pages below `evictableBelow` (exclusive page index) until under the bound. */
  evict(evictableBelow: number): void {
    if (this.bytes <= this.bytesMax) return;
    const candidates = [...this.pages.values()].filter((p) => p.index < evictableBelow).sort((a, b) => a.lastUse - b.lastUse);
    for (const p of candidates) {
      if (this.bytes <= this.bytesMax * 0.9) break;
      this.drop(p.index);
      this.evictions++;
    }
  }

  get residentBytes(): number { return this.bytes; }
  get size(): number { return this.pages.size; }
}
