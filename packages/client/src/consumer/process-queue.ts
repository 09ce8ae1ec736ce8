// The messages pulled for one queue and not yet consumed, in offset order. Pulls add, consumption
// removes; the smallest offset still held is what may be committed (nothing past a gap).
import type { MessageExt } from '../message.js';

/** A queue that has not been pulled for this long is considered abandoned by rebalance. */
export const PULL_MAX_IDLE_MS = 120_000;
/** An orderly lock this old (without renewal) no longer counts as held. */
export const LOCK_MAX_LIVE_MS = 30_000;

export class ProcessQueue {
  /**
   * The held messages in ascending offset order from `head` (offs[i] is held[i]'s offset): a consumed
   * or taken message leaves a hole (undefined) that the head moves past, so the smallest held offset
   * is read, not searched, and a lookup by offset is an index or a binary search (no hashing).
   */
  private held: Array<MessageExt | undefined> = [];
  private offs: number[] = [];
  private head = 0;
  /** Messages in `held` (not holes). */
  private heldCount = 0;
  /** Orderly consumption: messages taken for the handler and not yet committed. */
  private consumingOrderly = new Map<number, MessageExt>();
  msgCount = 0;
  msgSizeBytes = 0;
  queueOffsetMax = 0;
  dropped = false;
  /** Dropped until a corrected offset is stored (OFFSET_ILLEGAL, reset): rebalance must not recreate it yet. */
  awaitingOffsetFix = false;
  locked = false;
  lastLockMs = 0;
  lastPullMs = Date.now();
  lastConsumeMs = Date.now();
  /** Orderly: a consume loop is running for this queue. */
  consuming = false;
  /** Orderly: times a give-away was refused because a message was in the handler. */
  tryUnlockTimes = 0;

  isPullExpired(now = Date.now()): boolean {
    return now - this.lastPullMs > PULL_MAX_IDLE_MS;
  }

  isLockExpired(now = Date.now()): boolean {
    return now - this.lastLockMs > LOCK_MAX_LIVE_MS;
  }

  /** Index in offs[head..] of the first offset >= o. */
  private lowerBound(o: number): number {
    const offs = this.offs;
    let lo = this.head;
    let hi = offs.length;
    // offsets are mostly consecutive: try the slot o would have without gaps first
    const guess = lo + (o - (offs[lo] ?? o));
    if (guess >= lo && guess < hi && offs[guess] === o) return guess;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid]! < o) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The slot holding offset o, or -1. */
  private slotOf(o: number): number {
    if (this.heldCount === 0) return -1;
    const i = this.lowerBound(o);
    return i < this.offs.length && this.offs[i] === o && this.held[i] !== undefined ? i : -1;
  }

  /** Holds m unless its offset is held already; true when added. */
  private hold(m: MessageExt): boolean {
    const o = m.queueOffset;
    const offs = this.offs;
    if (this.heldCount === 0) { this.held.length = 0; offs.length = 0; this.head = 0; }
    const n = offs.length;
    if (n === 0 || o > offs[n - 1]!) {
      this.held.push(m);
      offs.push(o);
    } else {
      // below the head (i = head) or into a gap: in place, keeping offs ascending
      const i = this.lowerBound(o);
      if (i < n && offs[i] === o) {
        if (this.held[i] !== undefined) return false;
        this.held[i] = m;
      } else {
        this.held.splice(i, 0, m);
        offs.splice(i, 0, o);
      }
    }
    this.heldCount++;
    return true;
  }

  /** Empties slot i and moves the head past the holes in front. */
  private release(i: number): void {
    this.held[i] = undefined;
    this.heldCount--;
    const held = this.held;
    let h = this.head;
    while (h < held.length && held[h] === undefined) h++;
    this.head = h;
    if (this.heldCount === 0) { held.length = 0; this.offs.length = 0; this.head = 0; }
    else if (h > 1024 && h * 2 > held.length) { held.splice(0, h); this.offs.splice(0, h); this.head = 0; }
  }

  /** Adds pulled messages (ascending offsets); returns how many were new. */
  putMessages(list: MessageExt[]): number {
    let added = 0;
    for (const m of list) {
      if (this.consumingOrderly.has(m.queueOffset) || !this.hold(m)) continue;
      added++;
      this.msgSizeBytes += m.body.length;
      if (m.queueOffset > this.queueOffsetMax) this.queueOffsetMax = m.queueOffset;
    }
    this.msgCount += added;
    return added;
  }

  /** Span between the first and last held offsets (concurrent flow control). */
  maxSpan(): number {
    return this.heldCount === 0 ? 0 : this.queueOffsetMax - this.offs[this.head]!;
  }

  /** The offset to commit after a removal: the smallest still held, or one past the largest seen. */
  private commitOffset(): number {
    return this.heldCount > 0 ? this.offs[this.head]! : this.queueOffsetMax + 1;
  }

  private removeOne(m: MessageExt): void {
    const i = this.slotOf(m.queueOffset);
    if (i < 0) return;
    const had = this.held[i]!;
    this.release(i);
    this.msgCount--;
    this.msgSizeBytes -= had.body.length;
  }

  /**
   * Removes consumed messages; returns the offset to commit: the smallest still held, or one past
   * the largest seen when nothing is left; -1 when nothing was held.
   */
  removeMessages(list: MessageExt[]): number {
    if (this.heldCount === 0) return -1;
    for (const m of list) this.removeOne(m);
    return this.commitOffset();
  }

  /** removeMessages([m]) without the array. */
  removeMessage(m: MessageExt): number {
    if (this.heldCount === 0) return -1;
    this.removeOne(m);
    return this.commitOffset();
  }

  /** Orderly: moves up to n messages (lowest offsets first) to the consuming set. */
  takeMessages(n: number): MessageExt[] {
    const out: MessageExt[] = [];
    this.lastConsumeMs = Date.now();
    while (out.length < n && this.heldCount > 0) {
      const i = this.head;
      const m = this.held[i]!;
      out.push(m);
      this.consumingOrderly.set(this.offs[i]!, m);
      this.release(i);
    }
    return out;
  }

  /** Orderly: the taken messages are consumed; returns the next offset to commit (-1 if none). */
  commit(): number {
    let max = -1;
    for (const [k, m] of this.consumingOrderly) {
      if (k > max) max = k;
      this.msgCount--;
      this.msgSizeBytes -= m.body.length;
    }
    this.consumingOrderly.clear();
    return max < 0 ? -1 : max + 1;
  }

  /** Orderly: put the taken messages back in front, to be consumed again. */
  makeMessagesToConsumeAgain(list: MessageExt[]): void {
    for (const m of list) {
      this.consumingOrderly.delete(m.queueOffset);
      this.hold(m);
    }
  }

  hasTempMessage(): boolean {
    return this.heldCount > 0;
  }

  clear(): void {
    this.held = [];
    this.offs = [];
    this.head = 0;
    this.heldCount = 0;
    this.consumingOrderly.clear();
    this.msgCount = 0;
    this.msgSizeBytes = 0;
    this.queueOffsetMax = 0;
  }

  info(): Record<string, unknown> {
    const first = this.heldCount > 0 ? this.offs[this.head]! : 0;
    return {
      cachedMsgCount: this.msgCount, cachedMsgSizeInMiB: Math.floor(this.msgSizeBytes / 1048576),
      cachedMsgMinOffset: first, cachedMsgMaxOffset: this.queueOffsetMax, droped: this.dropped, locked: this.locked,
      lastLockTimestamp: this.lastLockMs, lastPullTimestamp: this.lastPullMs, lastConsumeTimestamp: this.lastConsumeMs,
      transactionMsgCount: this.consumingOrderly.size, tryUnlockTimes: this.tryUnlockTimes,
    };
  }
}
