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
/** A pending put: settled through resolve (a promise's) or done(result, arg) (waitThen). */
interface Waiter {
  end: number; result: PutResult; deadline: number;
  resolve: ((r: PutResult) => void) | null;
  done: ((r: PutResult, arg: unknown) => void) | null; arg: unknown;
}

// A done callback runs inside advance()/expire()/failAll(), i.e. inside the flush turn: one that throws
// must not stop the others (nor reach the flush service, which would take it for an I/O failure).
function settle(w: Waiter, r: PutResult): void {
  if (w.resolve !== null) { w.resolve(r); return; }
  try { w.done!(r, w.arg); } catch (e) { console.error(`put callback failed: ${e instanceof Error && e.stack ? e.stack : String(e)}`); }
}

export class PositionWaiters {
  private sources: Source[] = [];
  private acked = 0;
  private waiters: Waiter[] = [];
  private head = 0;

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
  get pending(): number { return this.waiters.length - this.head; }

  /** A promise resolved with result once end is acknowledged, or with a timeout status after deadline. */
  wait(end: number, result: PutResult, deadline: number): Promise<PutResult> {
    this.checkOrder(end);
    if (end <= this.acked && this.pending === 0) return Promise.resolve(result);
    return new Promise<PutResult>((resolve) => { this.waiters.push({ end, result, deadline, resolve, done: null, arg: null }); });
  }

  /**
   * wait() without a promise: done(result, arg) once end is acknowledged (synchronously when it already
   * is and nothing waits before it), or with a timeout status after deadline.
   */
  waitThen<A>(end: number, result: PutResult, deadline: number, done: (r: PutResult, arg: A) => void, arg: A): void {
    this.checkOrder(end);
    if (end <= this.acked && this.pending === 0) { done(result, arg); return; }
    this.waiters.push({ end, result, deadline, resolve: null, done: done as (r: PutResult, arg: unknown) => void, arg });
  }

  /** Resolves every waiter whose deadline passed with the status of the first source behind it. */
  expire(now: number): void {
    const w = this.waiters;
    let i = this.head;
    while (i < w.length && w[i].deadline <= now) {
      settle(w[i], { ...w[i].result, status: this.timeoutStatusFor(w[i].end) });
      i++;
    }
    this.compact(i);
  }

  /** Resolves every pending waiter with status (write failure, shutdown). */
  failAll(status: PutStatus, why: string): void {
    const w = this.waiters;
    const head = this.head;
    this.waiters = []; this.head = 0; // (a callback may wait again: that goes to the new list)
    for (let i = head; i < w.length; i++) settle(w[i], { ...w[i].result, status, error: why });
  }

  private checkOrder(end: number): void {
    if (this.limit === null) return;
    const last = this.waiters.length > this.head ? this.waiters[this.waiters.length - 1].end : 0;
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
    const w = this.waiters;
    let i = this.head;
    while (i < w.length && w[i].end <= pos) { settle(w[i], w[i].result); i++; }
    this.compact(i);
  }

  private compact(head: number): void {
    if (head >= this.waiters.length) { this.waiters = []; this.head = 0; }
    else if (head > 1024 && head * 2 > this.waiters.length) { this.waiters = this.waiters.slice(head); this.head = 0; }
    else this.head = head;
  }
}
