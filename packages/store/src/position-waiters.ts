// PositionWaiters: sends waiting for their end offset to be acknowledged. Acknowledgement comes from
// named sources, each an offset that only grows: 'flush' (the FlushService publishes what is handed
// to the OS under ASYNC_FLUSH, what is fdatasync'd under SYNC_FLUSH) and, when replication is added,
// e.g. 'replica' (a slave's acked offset). A waiter resolves once every source has reached its end,
// i.e. at min(source positions); one that outlives its deadline resolves with the timeout status of
// the first source still behind it (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, ...).
// Waiters are added in commit log order (ends ascending), so resolving is a scan from the head.
// Given a limit (the store's: its commit log write position) it asserts its invariants: no source
// moves backwards or passes the limit, no waiter waits for an end past it, waiters come in order.
import type { PutResult, PutStatus } from './store-api.js';
import { invariant } from './invariant.js';

interface Source { name: string; pos: number; timeoutStatus: PutStatus }
type Done = (r: PutResult, arg: unknown) => void;
type Resolve = (r: PutResult) => void;

// A done callback runs inside advance()/expire()/failAll(), i.e. inside the flush turn: one that throws
// must not stop the others (nor reach the flush service, which would take it for an I/O failure).
function settle(resolve: Resolve | null, done: Done | null, arg: unknown, r: PutResult): void {
  if (resolve !== null) { resolve(r); return; }
  try { done!(r, arg); } catch (e) { console.error(`put callback failed: ${e instanceof Error && e.stack ? e.stack : String(e)}`); }
}

/**
 * The pending puts, oldest first, in a ring of columns (no object per put; the columns are replaced
 * only when the ring grows): each slot's end offset, deadline, result, and either a promise's resolve
 * or a done(result, arg) callback.
 */
class WaiterRing {
  ends!: Float64Array;
  deadlines!: Float64Array;
  results!: Array<PutResult | null>;
  resolves!: Array<Resolve | null>;
  dones!: Array<Done | null>;
  args!: unknown[];
  head = 0;
  count = 0;

  constructor() { this.alloc(64); }

  /** Fresh, empty columns of `capacity` slots (a power of two). */
  private alloc(capacity: number): void {
    this.ends = new Float64Array(capacity);
    this.deadlines = new Float64Array(capacity);
    this.results = new Array<PutResult | null>(capacity).fill(null);
    this.resolves = new Array<Resolve | null>(capacity).fill(null);
    this.dones = new Array<Done | null>(capacity).fill(null);
    this.args = new Array<unknown>(capacity).fill(null);
  }

  push(end: number, result: PutResult, deadline: number, resolve: Resolve | null, done: Done | null, arg: unknown): void {
    if (this.count === this.ends.length) this.grow();
    const i = (this.head + this.count) & (this.ends.length - 1);
    this.ends[i] = end; this.deadlines[i] = deadline; this.results[i] = result;
    this.resolves[i] = resolve; this.dones[i] = done; this.args[i] = arg;
    this.count++;
  }

  lastEnd(): number { return this.count === 0 ? 0 : this.ends[(this.head + this.count - 1) & (this.ends.length - 1)]!; }

  /**
   * Takes the oldest out (count > 0) and settles it: with its result, or a copy with `status` (and
   * `error`). The ring is consistent first, so the callback may wait again.
   */
  settleHead(status: PutStatus | null, error: string | undefined): void {
    const i = this.head;
    const result = this.results[i]!, resolve = this.resolves[i]!, done = this.dones[i]!, arg = this.args[i];
    this.results[i] = null; this.resolves[i] = null; this.dones[i] = null; this.args[i] = null;
    this.head = (i + 1) & (this.ends.length - 1);
    this.count--;
    const r = status === null ? result : error === undefined ? { ...result, status } : { ...result, status, error };
    settle(resolve, done, arg, r);
  }

  private grow(): void {
    const { ends, deadlines, results, resolves, dones, args } = this;
    const mask = ends.length - 1;
    this.alloc(ends.length * 2);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & mask;
      this.ends[k] = ends[i]!; this.deadlines[k] = deadlines[i]!; this.results[k] = results[i]!;
      this.resolves[k] = resolves[i]!; this.dones[k] = dones[i]!; this.args[k] = args[i];
    }
    this.head = 0;
  }
}

export class PositionWaiters {
  private sources: Source[] = [];
  private acked = 0;
  private waiters = new WaiterRing();

  /**
   * limit: the highest position a source may reach or a waiter wait for (the end of the log); with
   * one, a source reporting a lower position than before is a violation too (else it is ignored:
   * the broker's replica source may report a reconnected slave's lower offset).
   */
  constructor(private readonly limit: (() => number) | null = null) {}

  /**
   * Adds an acknowledgement source at position pos (waiters already pending wait for it too). The
   * acked position then is the minimum over all sources.
   */
  addSource(name: string, pos: number, timeoutStatus: PutStatus): void {
    if (this.sources.some((s) => s.name === name)) throw new Error(`ack source ${name} exists`);
    this.sources.push({ name, pos, timeoutStatus });
    this.recompute();
  }

  /** Drops a source (e.g. the slave went away and the mode no longer waits for it); may resolve waiters. */
  removeSource(name: string): void {
    this.sources = this.sources.filter((s) => s.name !== name);
    this.recompute();
    this.resolveUpTo(this.acked);
  }

  hasSource(name: string): boolean { return this.sources.some((s) => s.name === name); }

  /** The position of one source (-1 if unknown). */
  sourcePosition(name: string): number { return this.sources.find((s) => s.name === name)?.pos ?? -1; }

  /** Source name reached pos (positions only move forward); resolves the waiters now acknowledged. */
  advance(name: string, pos: number): void {
    const src = this.sources;
    for (let i = 0; i < src.length; i++) {
      if (src[i].name !== name) continue;
      if (this.limit !== null) {
        const limit = this.limit();
        invariant(pos >= src[i].pos && pos <= limit, 'an ack source only moves forward, up to the write position',
          'pos,sourcePos,writePos', pos, src[i].pos, limit);
      }
      if (pos <= src[i].pos) return;
      src[i].pos = pos;
      this.recompute();
      this.resolveUpTo(this.acked);
      return;
    }
    throw new Error(`unknown ack source ${name}`);
  }

  /** Offset below which every source has acknowledged. */
  get ackedPosition(): number { return this.acked; }
  get pending(): number { return this.waiters.count; }

  /** A promise resolved with result once end is acknowledged, or with a timeout status after deadline. */
  wait(end: number, result: PutResult, deadline: number): Promise<PutResult> {
    this.checkOrder(end);
    if (end <= this.acked && this.pending === 0) return Promise.resolve(result);
    return new Promise<PutResult>((resolve) => { this.waiters.push(end, result, deadline, resolve, null, null); });
  }

  /**
   * wait() without a promise: done(result, arg) once end is acknowledged (synchronously when it already
   * is and nothing waits before it), or with a timeout status after deadline.
   */
  waitThen<A>(end: number, result: PutResult, deadline: number, done: (r: PutResult, arg: A) => void, arg: A): void {
    this.checkOrder(end);
    if (end <= this.acked && this.pending === 0) { done(result, arg); return; }
    this.waiters.push(end, result, deadline, null, done as Done, arg);
  }

  /** Resolves every waiter whose deadline passed with the status of the first source behind it. */
  expire(now: number): void {
    const w = this.waiters;
    while (w.count > 0 && w.deadlines[w.head]! <= now) w.settleHead(this.timeoutStatusFor(w.ends[w.head]!), undefined);
  }

  /** Resolves every pending waiter with status (write failure, shutdown). */
  failAll(status: PutStatus, why: string): void {
    const w = this.waiters;
    this.waiters = new WaiterRing(); // (a callback may wait again: that goes to the new ring)
    while (w.count > 0) w.settleHead(status, why);
  }

  private checkOrder(end: number): void {
    if (this.limit === null) return;
    const last = this.waiters.lastEnd();
    const limit = this.limit();
    invariant(end >= last && end <= limit, 'sends wait in commit log order for ends already appended',
      'end,lastEnd,writePos', end, last, limit);
  }

  private timeoutStatusFor(end: number): PutStatus {
    for (const s of this.sources) if (s.pos < end) return s.timeoutStatus;
    return 'FLUSH_DISK_TIMEOUT';
  }

  private recompute(): void {
    let m = Infinity;
    for (const s of this.sources) if (s.pos < m) m = s.pos;
    this.acked = m === Infinity ? 0 : m;
  }

  private resolveUpTo(pos: number): void {
    // (re-read each time: a callback may wait again, and its put may grow the ring)
    while (this.waiters.count > 0 && this.waiters.ends[this.waiters.head]! <= pos) this.waiters.settleHead(null, undefined);
  }
}
