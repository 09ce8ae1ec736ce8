// Put/get totals sampled once a second: the TPS figures and day counters of GET_BROKER_RUNTIME_INFO
// (28) and the minute/hour/day items of VIEW_BROKER_STATS_DATA (315). A service the controller owns
// (started and stopped with the broker), read by the admin processors through the context.
import type { BrokerStats } from '../stats.js';

type Sample = { t: number; put: number; get: number };

/**
 * Samples put/get totals once a second (last 10 minutes) and once a minute (last day): the TPS
 * figures and day counters of runtime info, and the minute/hour/day items of VIEW_BROKER_STATS_DATA.
 */
export class RuntimeSampler {
  private readonly seconds: Sample[] = [];
  private readonly minutes: Sample[] = [];
  private ticks = 0;
  private day = new Date().toDateString();
  putTodayMorning = 0;
  getTodayMorning = 0;
  putYesterdayMorning = 0;
  getYesterdayMorning = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly stats: Pick<BrokerStats, 'putMessages' | 'getMessages'>) {
    this.sample();
  }

  /** Samples once a second until stop(); the controller starts it with the broker. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private now(): Sample {
    return { t: Date.now(), put: this.stats.putMessages, get: this.stats.getMessages };
  }

  sample(): void {
    const x = this.now();
    const today = new Date(x.t).toDateString();
    if (today !== this.day) {
      this.day = today;
      this.putYesterdayMorning = this.putTodayMorning;
      this.getYesterdayMorning = this.getTodayMorning;
      this.putTodayMorning = x.put;
      this.getTodayMorning = x.get;
    }
    this.seconds.push(x);
    if (this.seconds.length > 601) this.seconds.shift();
    if (this.ticks++ % 60 === 0) {
      this.minutes.push(x);
      if (this.minutes.length > 1441) this.minutes.shift();
    }
  }

  /** Messages counted in the last `windowMs` (as far back as samples go) and the span measured. */
  window(which: 'put' | 'get', windowMs: number): { sum: number; ms: number } {
    const ring = windowMs <= 600_000 ? this.seconds : this.minutes;
    const cur = this.now();
    let base = ring[0];
    for (const x of ring) {
      if (cur.t - x.t <= windowMs) break;
      base = x;
    }
    if (!base) return { sum: 0, ms: 0 };
    // Within the sampling millisecond the count is still known; only the rate is not (ms 0 -> tps 0).
    return { sum: cur[which] - base[which], ms: Math.max(0, cur.t - base.t) };
  }

  /** Messages per second over the last `windowMs`. */
  tps(which: 'put' | 'get', windowMs: number): number {
    const w = this.window(which, windowMs);
    return w.ms > 0 ? (w.sum * 1000) / w.ms : 0;
  }
}
