// Per-stage latency of served requests, for finding where a send's time goes (issue 15): off unless
// RMQ_STAGE_TIMERS is set, then every stage is one performance.now() pair and a histogram bucket
// increment (no allocation). With RMQ_STAGE_TIMERS=<path> a JSON snapshot of the cumulative
// histograms is written there every second and at exit; perf/ diffs two snapshots.
// Stages of a SEND: decode (frame + header, per frame), append (the store's synchronous part:
// record encode into the commit log pages), ackWait (append -> the store's promise resolves: flush
// worker and event loop), reply (processor resolved -> reply handed to the socket), total (chunk
// arrival -> reply handed to the socket). total minus the others is the processor's own work plus
// the promise hops between the stages.
import { writeFileSync } from 'node:fs';

export const STAGES = ['decode', 'append', 'ackWait', 'reply', 'total'] as const;
export type StageName = typeof STAGES[number];
export const STAGE_DECODE = 0, STAGE_APPEND = 1, STAGE_ACK_WAIT = 2, STAGE_REPLY = 3, STAGE_TOTAL = 4;

const env = typeof process !== 'undefined' ? process.env.RMQ_STAGE_TIMERS : undefined;
/** Whether stage timers are on (RMQ_STAGE_TIMERS set and not '0'). */
export const stageTimersOn: boolean = env !== undefined && env !== '' && env !== '0';

// log-linear buckets: 8 per octave of 0.1 µs units, up to ~2^30 * 0.1 µs (107 s)
const SUB = 8;
const NBUCKETS = 30 * SUB;

export interface StageSummary { count: number; meanUs: number; p50Us: number; p90Us: number; p99Us: number; maxUs: number }
export interface StageSnapshot { atMs: number; stages: Record<StageName, { count: number; sumUs: number; maxUs: number; buckets: number[] }> }

class StageHistogram {
  count = 0;
  sumUs = 0;
  maxUs = 0;
  readonly buckets = new Float64Array(NBUCKETS);
  record(us: number): void {
    if (!(us >= 0)) return;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    let i = Math.floor(Math.log2(us * 10 + 1) * SUB);
    if (i >= NBUCKETS) i = NBUCKETS - 1;
    this.buckets[i]++;
  }
}

const hist = STAGES.map(() => new StageHistogram());

/** Records one stage duration in milliseconds (performance.now() differences). */
export function recordStageMs(stage: number, ms: number): void {
  hist[stage]!.record(ms * 1000);
}

/** Cumulative histograms now. */
export function stageSnapshot(): StageSnapshot {
  const stages = {} as StageSnapshot['stages'];
  STAGES.forEach((name, i) => {
    const h = hist[i]!;
    stages[name] = { count: h.count, sumUs: h.sumUs, maxUs: h.maxUs, buckets: Array.from(h.buckets) };
  });
  return { atMs: Date.now(), stages };
}

function bucketUpperUs(i: number): number { return (2 ** ((i + 1) / SUB) - 1) / 10; }

/** Summary of what happened between two snapshots (a null `from` means since start). */
export function summarizeStages(to: StageSnapshot, from: StageSnapshot | null = null): Record<StageName, StageSummary> {
  const out = {} as Record<StageName, StageSummary>;
  for (const name of STAGES) {
    const b = to.stages[name];
    const a = from?.stages[name];
    const count = b.count - (a?.count ?? 0);
    const sum = b.sumUs - (a?.sumUs ?? 0);
    const buckets = b.buckets.map((x, i) => x - (a?.buckets[i] ?? 0));
    const q = (p: number): number => {
      if (count === 0) return 0;
      const want = p * count;
      let seen = 0;
      for (let i = 0; i < buckets.length; i++) { seen += buckets[i]!; if (seen >= want) return bucketUpperUs(i); }
      return bucketUpperUs(buckets.length - 1);
    };
    out[name] = { count, meanUs: count > 0 ? sum / count : 0, p50Us: q(0.5), p90Us: q(0.9), p99Us: q(0.99), maxUs: b.maxUs };
  }
  return out;
}

if (stageTimersOn && env !== '1' && env !== 'true') {
  const path = env!;
  const dump = (): void => { try { writeFileSync(path, JSON.stringify(stageSnapshot())); } catch { /* best effort */ } };
  setInterval(dump, 1000).unref();
  process.once('exit', dump);
}
