// Messages appended but not yet dispatched, in commit log order: what the dispatcher needs to write
// their ConsumeQueue entries without re-reading the records. Typed-array columns, grown by
// doubling, so the append path allocates nothing per message.
export class DispatchRing {
  cq: Int32Array; queueOffset: Float64Array; phy: Float64Array; size: Int32Array; tagsCode: Float64Array;
  storeTs: Float64Array; sysFlag: Int32Array;
  private head = 0;
  private tail = 0; // exclusive; both grow without wrapping until reset
  constructor(capacity = 4096) {
    this.cq = new Int32Array(capacity); this.queueOffset = new Float64Array(capacity); this.phy = new Float64Array(capacity);
    this.size = new Int32Array(capacity); this.tagsCode = new Float64Array(capacity); this.storeTs = new Float64Array(capacity);
    this.sysFlag = new Int32Array(capacity);
  }
  get length(): number { return this.tail - this.head; }
  get headIndex(): number { return this.head; }

  push(cq: number, queueOffset: number, phy: number, size: number, tagsCode: number, storeTs: number, sysFlag: number): void {
    if (this.tail === this.cq.length) this.compactOrGrow();
    const i = this.tail++;
    this.cq[i] = cq; this.queueOffset[i] = queueOffset; this.phy[i] = phy; this.size[i] = size;
    this.tagsCode[i] = tagsCode; this.storeTs[i] = storeTs; this.sysFlag[i] = sysFlag;
  }
  /** Index of the oldest entry, or -1. */
  peek(): number { return this.head < this.tail ? this.head : -1; }
  shift(): void { this.head++; if (this.head === this.tail) { this.head = this.tail = 0; } }
  clear(): void { this.head = this.tail = 0; }
  /**
   * Drops the newest entries whose record starts at or after phy (appends rolled back after a failed
   * write), newest first: calls onDrop(index) for each before it goes. Returns how many went.
   */
  truncateFrom(phy: number, onDrop: (i: number) => void): number {
    let n = 0;
    while (this.tail > this.head && this.phy[this.tail - 1] >= phy) { onDrop(this.tail - 1); this.tail--; n++; }
    if (this.head === this.tail) this.head = this.tail = 0;
    return n;
  }

  private compactOrGrow(): void {
    const n = this.tail - this.head;
    const cap = n * 2 > this.cq.length ? this.cq.length * 2 : this.cq.length;
    const move = <T extends Int32Array | Float64Array>(a: T, make: (c: number) => T): T => {
      const b = cap === a.length ? a : make(cap);
      b.set(a.subarray(this.head, this.tail), 0);
      return b;
    };
    this.cq = move(this.cq, (c) => new Int32Array(c));
    this.queueOffset = move(this.queueOffset, (c) => new Float64Array(c));
    this.phy = move(this.phy, (c) => new Float64Array(c));
    this.size = move(this.size, (c) => new Int32Array(c));
    this.tagsCode = move(this.tagsCode, (c) => new Float64Array(c));
    this.storeTs = move(this.storeTs, (c) => new Float64Array(c));
    this.sysFlag = move(this.sysFlag, (c) => new Int32Array(c));
    this.head = 0; this.tail = n;
  }
}
