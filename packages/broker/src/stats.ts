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

const SLOT_MS = 10_000;
const SLOTS = 360; // one hour of 10 s slots
const HOUR_MS = 3_600_000;

/** One key's counts in 10 s slots (last hour) and hour slots (last day); O(1) increments. */
class WindowedCounter {
  private readonly slotSum = new Float64Array(SLOTS);
  private readonly slotTimes = new Float64Array(SLOTS);
  private readonly slotAt = new Float64Array(SLOTS).fill(-1);
  private readonly hourSum = new Float64Array(24);
  private readonly hourTimes = new Float64Array(24);
  private readonly hourAt = new Float64Array(24).fill(-1);

  add(n: number, now: number): void {
    const s = Math.floor(now / SLOT_MS);
    const i = s % SLOTS;
    if (this.slotAt[i] !== s) { this.slotAt[i] = s; this.slotSum[i] = 0; this.slotTimes[i] = 0; }
    this.slotSum[i] += n;
    this.slotTimes[i] += 1;
    const h = Math.floor(now / HOUR_MS);
    const j = h % 24;
    if (this.hourAt[j] !== h) { this.hourAt[j] = h; this.hourSum[j] = 0; this.hourTimes[j] = 0; }
    this.hourSum[j] += n;
    this.hourTimes[j] += 1;
  }

  /** Sum and request count over the last `windowMs` (minute / hour from 10 s slots, day from hours). */
  window(windowMs: number, now: number): { sum: number; times: number } {
    let sum = 0;
    let times = 0;
    if (windowMs <= HOUR_MS) {
      const cur = Math.floor(now / SLOT_MS);
      const n = Math.min(SLOTS, Math.ceil(windowMs / SLOT_MS));
      for (let k = 0; k < n; k++) {
        const i = (cur - k) % SLOTS;
        if (this.slotAt[i] === cur - k) { sum += this.slotSum[i]!; times += this.slotTimes[i]!; }
      }
    } else {
      const cur = Math.floor(now / HOUR_MS);
      for (let k = 0; k < 24; k++) {
        const j = (cur - k) % 24;
        if (this.hourAt[j] === cur - k) { sum += this.hourSum[j]!; times += this.hourTimes[j]!; }
      }
    }
    return { sum, times };
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
