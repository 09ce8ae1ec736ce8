// BodyPool: reusable memory for pull replies' bodies. A pull copies its records out of the page cache
// into one buffer; allocated fresh, that was 30-40 KiB of ArrayBuffer per pull, and external memory at
// ~100 MB/s made V8 run a full mark-compact every 150-200 ms on a 10 MiB heap (about a fifth of a
// consuming broker's CPU). Here buffers are carved from 1 MiB slabs by bumping a position; a slab is
// written again only when every lease on it has been released, which its holder does once nothing
// reads the bytes any more (the broker: when the socket has taken the reply, see RemotingCommand.bodyLease).
// A lease that is never released only keeps its slab out of the pool: garbage collected, never reused,
// so a missed release costs an allocation, never a corrupted body.

export interface Releasable {
  release(): void;
}

class Slab {
  readonly buf: Buffer;
  /** leases not yet released */
  refs = 0;
  /** first free byte (the current slab only) */
  pos = 0;
  constructor(bytes: number) { this.buf = Buffer.allocUnsafeSlow(bytes); }
}

/** One buffer carved from a slab; release() exactly once (later calls do nothing). */
export class BodyLease implements Releasable {
  private slab: Slab | null;
  constructor(private readonly pool: BodyPool, slab: Slab, readonly start: number, public buf: Buffer) { this.slab = slab; }

  /** Gives back the bytes past `used` when nothing was carved after this lease (the pull's estimate was high). */
  trim(used: number): void {
    const s = this.slab;
    if (s !== null && s === this.pool.currentSlab() && s.pos === this.start + this.buf.length) {
      s.pos = this.start + used;
      this.buf = this.buf.subarray(0, used);
    }
  }

  release(): void {
    const s = this.slab;
    if (s === null) return;
    this.slab = null;
    this.pool.releaseSlab(s);
  }
}

export class BodyPool {
  private current: Slab | null = null;
  private readonly free: Slab[] = [];
  /** leases handed out and not released (for tests and runtime info) */
  outstanding = 0;
  /** slabs allocated since start */
  slabsAllocated = 0;

  constructor(readonly slabBytes = 1 << 20, private readonly maxFreeSlabs = 8) {}

  /** The largest lease this pool hands out; larger bodies are allocated as before. */
  get maxLeaseBytes(): number { return this.slabBytes >>> 2; }

  currentSlab(): Slab | null { return this.current; }

  /** A lease of n bytes, or null when n is over maxLeaseBytes. */
  lease(n: number): BodyLease | null {
    if (n <= 0 || n > this.maxLeaseBytes) return null;
    let s = this.current;
    if (s === null || s.pos + n > s.buf.length) {
      // a full current slab with nothing outstanding is written again from its start
      if (s !== null && s.refs === 0) s.pos = 0;
      else {
        s = this.free.pop() ?? this.newSlab();
        s.pos = 0;
        this.current = s;
      }
    }
    const start = s.pos;
    s.pos += n;
    s.refs++;
    this.outstanding++;
    return new BodyLease(this, s, start, s.buf.subarray(start, start + n));
  }

  private newSlab(): Slab {
    this.slabsAllocated++;
    return new Slab(this.slabBytes);
  }

  /** (BodyLease.release) */
  releaseSlab(s: Slab): void {
    this.outstanding--;
    if (--s.refs > 0) return;
    if (s === this.current) { s.pos = 0; return; }
    if (this.free.length < this.maxFreeSlabs) this.free.push(s);
  }
}
