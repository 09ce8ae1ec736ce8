// Counters shared by the producer and consumer loads, and the once-a-second timeline they feed.
import { LatencyRecorder, type LatencySummaryMs } from './histogram.js';

export class Stats {
  sent = 0;            // messages handed to the client
  acked = 0;           // messages the broker confirmed (oneway: written)
  ackedBytes = 0;
  sendErrors = 0;
  received = 0;        // messages delivered to our consumers
  receivedBytes = 0;
  consumeErrors = 0;
  readonly errorKinds = new Map<string, number>();
  readonly sendLatency = new LatencyRecorder();
  readonly e2eLatency = new LatencyRecorder();   // born (in the body) -> consumed

  error(kind: string): void {
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  setMeasuring(on: boolean): void {
    this.sendLatency.measuring = on;
    this.e2eLatency.measuring = on;
  }
}

export interface TimelinePoint {
  tSec: number;                 // seconds since the measured start
  sendRate: number;             // acked msgs/s in this interval
  recvRate: number;             // consumed msgs/s in this interval
  errors: number;               // send + consume errors in this interval
  send: LatencySummaryMs;       // send latency in this interval
  e2e: LatencySummaryMs;        // produce -> consume latency in this interval
  brokerCpuCores: number | null;
  brokerRssBytes: number | null;
}

/** Turns counter deltas into one timeline point each tick. */
export class Sampler {
  private lastAt: number;
  private lastAcked = 0;
  private lastReceived = 0;
  private lastErrors = 0;
  readonly points: TimelinePoint[] = [];

  constructor(private readonly stats: Stats, private readonly startMs: number) {
    this.lastAt = startMs;
  }

  sample(nowMs: number, broker: { cpuCores: number; rssBytes: number } | null): TimelinePoint {
    const s = this.stats;
    const dtSec = Math.max(1e-3, (nowMs - this.lastAt) / 1000);
    const errors = s.sendErrors + s.consumeErrors;
    const p: TimelinePoint = {
      tSec: Math.round((nowMs - this.startMs) / 100) / 10,
      sendRate: Math.round((s.acked - this.lastAcked) / dtSec),
      recvRate: Math.round((s.received - this.lastReceived) / dtSec),
      errors: errors - this.lastErrors,
      send: s.sendLatency.takeInterval(),
      e2e: s.e2eLatency.takeInterval(),
      brokerCpuCores: broker ? Math.round(broker.cpuCores * 1000) / 1000 : null,
      brokerRssBytes: broker ? broker.rssBytes : null,
    };
    this.lastAt = nowMs;
    this.lastAcked = s.acked;
    this.lastReceived = s.received;
    this.lastErrors = errors;
    this.points.push(p);
    return p;
  }
}
