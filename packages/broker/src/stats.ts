// Counters the broker keeps for runtime info, tests and the admin endpoints. Cheap increments
// only: nothing on the hot path allocates.
import { LatencyHistogram } from './http/histogram.js';

export class BrokerStats {
  putMessages = 0;
  putBytes = 0;
  getMessages = 0;
  getBytes = 0;
  /** Pull requests processed (first runs, not wake-ups): tests use it to detect busy loops. */
  pullRequests = 0;
  pullSuspended = 0;
  pullWakeups = 0;
  sendRejected = 0;
  /** Store put latency (append to durability ack), one sample per put request. */
  readonly putLatency = new LatencyHistogram();
  readonly bootTimestamp = Date.now();
  /** TOPIC_PUT_NUMS (key: topic) and GROUP_GET_NUMS (key: topic@group) for VIEW_BROKER_STATS_DATA. */
  readonly topicPutNums = new KeyedStats();
  readonly groupGetNums = new KeyedStats();
}

/** Counts in fixed time slots (slotMs wide, `slots` of them), reused round-robin. */
class SlotRing {
  private readonly sum: Float64Array;
  private readonly times: Float64Array;
  private readonly at: Float64Array;

  constructor(private readonly slotMs: number, private readonly slots: number) {
    this.sum = new Float64Array(slots);
    this.times = new Float64Array(slots);
    this.at = new Float64Array(slots).fill(-1);
  }

  add(n: number, now: number): void {
    const s = Math.floor(now / this.slotMs);
    const i = s % this.slots;
    if (this.at[i] !== s) { this.at[i] = s; this.sum[i] = 0; this.times[i] = 0; }
    this.sum[i] += n;
    this.times[i] += 1;
  }

  /** Totals of the slots overlapping the last windowMs (the current slot included). */
  window(windowMs: number, now: number): { sum: number; times: number } {
    const cur = Math.floor(now / this.slotMs);
    const n = Math.min(this.slots, Math.ceil(windowMs / this.slotMs));
    let sum = 0;
    let times = 0;
    for (let k = 0; k < n; k++) {
      const i = (cur - k) % this.slots;
      if (this.at[i] === cur - k) { sum += this.sum[i]!; times += this.times[i]!; }
    }
    return { sum, times };
  }
}

/** One key's counts: 10 s slots for the minute, minute slots for the hour, hour slots for the day (~2 KiB). */
class WindowedCounter {
  private readonly tenSeconds = new SlotRing(10_000, 6);
  private readonly minutes = new SlotRing(60_000, 60);
  private readonly hours = new SlotRing(3_600_000, 24);

  add(n: number, now: number): void {
    this.tenSeconds.add(n, now);
    this.minutes.add(n, now);
    this.hours.add(n, now);
  }

  window(windowMs: number, now: number): { sum: number; times: number } {
    if (windowMs <= 60_000) return this.tenSeconds.window(windowMs, now);
    if (windowMs <= 3_600_000) return this.minutes.window(windowMs, now);
    return this.hours.window(windowMs, now);
  }
}

/**
 * Per-key counters behind VIEW_BROKER_STATS_DATA (Apache's BrokerStatsManager items): TOPIC_PUT_NUMS
 * keyed by topic, GROUP_GET_NUMS keyed by `topic@group`. A key exists once it has been counted.
 */
export class KeyedStats {
  private readonly items = new Map<string, WindowedCounter>();

  add(key: string, n: number, now = Date.now()): void {
    let c = this.items.get(key);
    if (c === undefined) {
      c = new WindowedCounter();
      this.items.set(key, c);
    }
    c.add(n, now);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  window(key: string, windowMs: number, now = Date.now()): { sum: number; times: number } | null {
    return this.items.get(key)?.window(windowMs, now) ?? null;
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}
