// Fixed-bucket latency histogram (Prometheus style): O(buckets) memory, O(log buckets) record.
// The broker records one sample per put; /metrics reads a snapshot.

/** Upper bounds in milliseconds; an implicit +Inf bucket follows the last. */
export const PUT_LATENCY_BOUNDS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface HistogramSnapshot {
  boundsMs: readonly number[];
  /** Per-bucket counts (not cumulative), boundsMs.length + 1 entries; the last is the +Inf overflow. */
  counts: number[];
  sumMs: number;
  count: number;
}

export class LatencyHistogram {
  private readonly counts: Float64Array;
  private sumMs = 0;
  private count = 0;

  constructor(private readonly boundsMs: readonly number[] = PUT_LATENCY_BOUNDS_MS) {
    for (let i = 1; i < boundsMs.length; i++) {
      if (!(boundsMs[i]! > boundsMs[i - 1]!)) throw new Error('histogram bounds must increase');
    }
    this.counts = new Float64Array(boundsMs.length + 1);
  }

  record(latencyMs: number): void {
    if (!(latencyMs >= 0)) return; // NaN or negative (clock step): not a latency
    let lo = 0;
    let hi = this.boundsMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (latencyMs <= this.boundsMs[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]!++;
    this.sumMs += latencyMs;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { boundsMs: this.boundsMs, counts: Array.from(this.counts), sumMs: this.sumMs, count: this.count };
  }
}
