// Latency recording in microseconds with HdrHistogram (1 µs .. 1 h, 3 significant digits): one
// histogram for the whole measured run and one per progress interval (reset each tick) for the
// timeline. Values above the trackable range are clamped, never dropped.
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3,
    bitBucketSize: 32, autoResize: false, useWebAssembly: false,
  });
}

/** Latency figures in milliseconds (what the summary and progress lines print). */
export interface LatencySummaryMs {
  count: number; min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummaryMs {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  // A percentile is reported as the top of its bucket (up to 0.1 % above the recorded value), so near
  // the top of a run it can exceed the exact maximum; clamp it there so p50 <= p99 <= max always holds.
  const max = h.maxValue;
  const at = (p: number): number => ms(Math.min(h.getValueAtPercentile(p), max));
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    mean: ms(h.mean),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: ms(max),
  };
}

/**
 * Each value is recorded once, into `recent`; that histogram is added to the interval one (and, while
 * measuring, to the total) whenever either is read or `measuring` changes, so the per-message cost is
 * one record instead of two and every value still lands where it did.
 */
export class LatencyRecorder {
  private readonly totalHistogram = newHistogram();
  private readonly interval = newHistogram();
  private readonly recent = newHistogram();
  private isMeasuring = true;

  /** False during warm-up: values go to the interval histogram (progress) but not the total. */
  get measuring(): boolean { return this.isMeasuring; }
  set measuring(on: boolean) {
    if (on === this.isMeasuring) return;
    this.fold();
    this.isMeasuring = on;
  }

  get total(): Histogram {
    this.fold();
    return this.totalHistogram;
  }

  private fold(): void {
    const r = this.recent;
    if (r.totalCount === 0) return;
    this.interval.add(r);
    if (this.isMeasuring) this.totalHistogram.add(r);
    r.reset();
  }

  recordUs(us: number): void {
    this.recent.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
  }

  recordMs(ms: number): void { this.recordUs(ms * 1000); }

  /** Summary of the interval since the last call, then starts a new interval. */
  takeInterval(): LatencySummaryMs {
    this.fold();
    const s = summarize(this.interval);
    this.interval.reset();
    return s;
  }

  summary(): LatencySummaryMs { return summarize(this.total); }

  /** The full percentile distribution (HdrHistogram text format), for latency.hgrm. */
  distributionText(): string { const t = this.total; return t.totalCount ? t.outputPercentileDistribution(5, 1000) : ''; }
}
