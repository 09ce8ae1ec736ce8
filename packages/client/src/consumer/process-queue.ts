// The messages pulled for one queue and not yet consumed, in offset order. Pulls add, consumption
// removes; the smallest offset still held is what may be committed (nothing past a gap).
import type { MessageExt } from '../message.js';

/** A queue that has not been pulled for this long is considered abandoned by rebalance. */
export const PULL_MAX_IDLE_MS = 120_000;
/** An orderly lock this old (without renewal) no longer counts as held. */
export const LOCK_MAX_LIVE_MS = 30_000;

export class ProcessQueue {
  /** offset -> message, kept in ascending offset order. */
  private msgs = new Map<number, MessageExt>();
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

  /** Adds pulled messages (ascending offsets); returns how many were new. */
  putMessages(list: MessageExt[]): number {
    let added = 0;
    for (const m of list) {
      if (this.msgs.has(m.queueOffset) || this.consumingOrderly.has(m.queueOffset)) continue;
      this.msgs.set(m.queueOffset, m);
      added++;
      this.msgSizeBytes += m.body.length;
      if (m.queueOffset > this.queueOffsetMax) this.queueOffsetMax = m.queueOffset;
    }
    this.msgCount += added;
    return added;
  }

  /** Span between the first and last held offsets (concurrent flow control). */
  maxSpan(): number {
    if (this.msgs.size === 0) return 0;
    let first = -1;
    for (const k of this.msgs.keys()) { first = k; break; }
    return this.queueOffsetMax - first;
  }

  /**
   * Removes consumed messages; returns the offset to commit: the smallest still held, or one past
   * the largest seen when nothing is left; -1 when nothing was held.
   */
  removeMessages(list: MessageExt[]): number {
    if (this.msgs.size === 0) return -1;
    for (const m of list) {
      const had = this.msgs.get(m.queueOffset);
      if (!had) continue;
      this.msgs.delete(m.queueOffset);
      this.msgCount--;
      this.msgSizeBytes -= had.body.length;
    }
    for (const k of this.msgs.keys()) return k;
    return this.queueOffsetMax + 1;
  }

  /** removeMessages([m]) without the array. */
  removeMessage(m: MessageExt): number {
    if (this.msgs.size === 0) return -1;
    const had = this.msgs.get(m.queueOffset);
    if (had) {
      this.msgs.delete(m.queueOffset);
      this.msgCount--;
      this.msgSizeBytes -= had.body.length;
    }
    for (const k of this.msgs.keys()) return k;
    return this.queueOffsetMax + 1;
  }

  /** Orderly: moves up to n messages (lowest offsets first) to the consuming set. */
  takeMessages(n: number): MessageExt[] {
    const out: MessageExt[] = [];
    this.lastConsumeMs = Date.now();
    for (const [k, m] of this.msgs) {
      if (out.length >= n) break;
      out.push(m);
      this.msgs.delete(k);
      this.consumingOrderly.set(k, m);
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
    const back = new Map<number, MessageExt>();
    for (const m of list) {
      this.consumingOrderly.delete(m.queueOffset);
      back.set(m.queueOffset, m);
    }
    for (const [k, m] of this.msgs) back.set(k, m);
    this.msgs = new Map([...back.entries()].sort((a, b) => a[0] - b[0]));
  }

  hasTempMessage(): boolean {
    return this.msgs.size > 0;
  }

  clear(): void {
    this.msgs.clear();
    this.consumingOrderly.clear();
    this.msgCount = 0;
    this.msgSizeBytes = 0;
    this.queueOffsetMax = 0;
  }

  info(): Record<string, unknown> {
    let first = 0;
    for (const k of this.msgs.keys()) { first = k; break; }
    return {
      cachedMsgCount: this.msgCount, cachedMsgSizeInMiB: Math.floor(this.msgSizeBytes / 1048576),
      cachedMsgMinOffset: first, cachedMsgMaxOffset: this.queueOffsetMax, droped: this.dropped, locked: this.locked,
      lastLockTimestamp: this.lastLockMs, lastPullTimestamp: this.lastPullMs, lastConsumeTimestamp: this.lastConsumeMs,
      transactionMsgCount: this.consumingOrderly.size, tryUnlockTimes: this.tryUnlockTimes,
    };
  }
}
