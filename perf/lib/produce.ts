// Producer load. Each producer instance is one "stream" (its index) with its own sequence numbers.
//
// Closed loop (no rate): keep `inflight` sends outstanding per producer and issue the next one as soon
// as one completes; latency = completion - issue.
// Open loop (rate R): send k of producer p is due at start + k * batch / (R / producers) on a fixed
// timetable, whatever the broker does; latency is measured from that intended time, so a stall shows
// up as latency of every send it delayed (no coordinated omission). Sends that are due while the
// window is full wait in a backlog (a counter, not a queue: the due time of send k is computable).
//
// sync mode runs `inflight` sequential loops that each await their send; async keeps a window of
// `inflight` sends; oneway keeps a window of `inflight` unacknowledged writes (latency = write time).
import type { ClientModule, PerfMessage, PerfProducer, PerfSendResult } from './client.js';
import { errorKind } from './client.js';
import { BodyEncoder } from './body.js';
import type { RunOptions } from './options.js';
import { topicNames } from './options.js';
import type { Stats } from './stats.js';
import type { Verifier } from './verify.js';

export interface ProduceBudget {
  count: number | null;      // total messages across producers
  deadlineMs: number | null; // performance.now() after which no new sends start
}

/** Splits `total` into `parts` near-equal shares (the first ones get the remainder). */
export function splitCount(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/** The intended start (ms) of send `k` in an open-loop timetable. */
export function intendedStartMs(startMs: number, k: number, intervalMs: number): number {
  return startMs + k * intervalMs;
}

/**
 * One outstanding send: its intended start and messages; its two callbacks are made once per slot and
 * reused, and so are its bodies (see ProducerLoop.body).
 */
class SendSlot {
  intended = 0;
  seq0 = 0;
  count = 0;
  /** Body buffers of this slot's sends, written again for its next send once one was acknowledged. */
  bodies: Buffer[] = [];
  readonly onDone: (r: PerfSendResult | void) => void;
  readonly onFail: (e: unknown) => void;
  constructor(loop: ProducerLoop) {
    this.onDone = (r) => {
      try { loop.completed(this, r); } catch (e) { loop.failed(this, e); }
      loop.release(this);
    };
    this.onFail = (e) => { loop.failed(this, e); loop.release(this); };
  }
}

class ProducerLoop {
  private seq = 0;
  private issued = 0;          // sends (calls) issued
  private remaining: number;   // messages left in the budget (Infinity for duration runs)
  private inflight = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly encoder: BodyEncoder;
  private readonly topics: string[];
  private readonly intervalMs: number | null;
  private startMs = 0;
  /** Slots of window sends that completed, for the next ones. */
  private readonly freeSlots: SendSlot[] = [];
  private done!: () => void;
  readonly finished: Promise<void>;

  constructor(
    private readonly producer: PerfProducer, private readonly stream: number, private readonly o: RunOptions,
    private readonly stats: Stats, private readonly verifier: Verifier | null, runId: number,
    count: number | null, private readonly deadlineMs: number | null, ratePerProducer: number | null,
  ) {
    this.encoder = new BodyEncoder(o.sizeBytes, runId, stream);
    this.topics = topicNames(o);
    this.remaining = count ?? Infinity;
    this.intervalMs = ratePerProducer ? (1000 * o.batch) / ratePerProducer : null;
    this.finished = new Promise((r) => { this.done = r; });
  }

  /** Open-loop sends that are due but not issued yet. */
  backlog(now = performance.now()): number {
    if (this.intervalMs === null || this.stopped) return 0;
    return Math.max(0, this.dueCount(now) - this.issued);
  }

  private dueCount(now: number): number {
    return Math.floor((now - this.startMs) / this.intervalMs!) + 1;
  }

  start(): void {
    this.startMs = performance.now();
    if (this.intervalMs !== null) {
      // The timer only wakes the pump; the timetable itself comes from the clock.
      this.timer = setInterval(() => this.pump(), Math.max(1, Math.min(10, this.intervalMs / 2)));
    }
    if (this.o.mode === 'sync') for (let i = 0; i < this.o.inflight; i++) void this.syncLoop();
    else this.pump();
    if (this.remaining === 0) this.finish();
  }

  stop(): void { this.stopped = true; this.maybeFinish(); }

  /** Returns the intended start of the next send, or null if none may start now. */
  private take(now: number): number | null {
    if (this.stopped) return null;
    if (this.deadlineMs !== null && now >= this.deadlineMs) { this.stopped = true; return null; }
    if (this.remaining <= 0) { this.stopped = true; return null; }
    let intended = now;
    if (this.intervalMs !== null) {
      if (this.dueCount(now) <= this.issued) return null;
      intended = intendedStartMs(this.startMs, this.issued, this.intervalMs);
    }
    this.issued++;
    return intended;
  }

  /**
   * Starts the next send (its messages' sequence numbers are seq0 .. seq0 + count - 1): one message
   * object per message and the client's promise, nothing else per send.
   */
  private startSend(slot: SendSlot): Promise<PerfSendResult | void> {
    const n = Math.min(this.o.batch, this.remaining);
    this.remaining -= n;
    const topic = this.topics[this.issued % this.topics.length]!;
    slot.seq0 = this.seq;
    slot.count = n;
    this.stats.sent += n;
    try {
      if (n === 1) {
        const m: PerfMessage = { topic, body: this.body(slot, 0) };
        return this.o.mode === 'oneway' ? this.producer.sendOneway(m) : this.producer.send(m);
      }
      const msgs: PerfMessage[] = [];
      for (let i = 0; i < n; i++) msgs.push({ topic, body: this.body(slot, i) });
      return this.producer.sendBatch(msgs);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Body i of the slot's next send (sequence number this.seq++). A slot's buffers are written again
   * only after its previous send was acknowledged in its one attempt: the broker has read those bytes,
   * so the client holds no queued frame that still points at them. A oneway send (no answer), a failed
   * one (a timeout may leave its frame queued behind a stalled socket) and any send that may be retried
   * (an earlier attempt's frame may still be queued) leave their buffers to the client: fresh ones.
   * Reused buffers keep the driver's own allocation (and its external memory) out of what the broker's
   * latency is measured with: with a fresh Buffer per message the driver's scavenges kept up to 4-5 MB
   * and paused 5-8 ms at 20k msgs/s, most of it through the remoting Map fixed in PendingCalls, but
   * the body churn made that chain likelier (docs/design.md, Performance, session 7).
   */
  private body(slot: SendSlot, i: number): Buffer {
    const seq = this.seq++;
    if (this.o.mode === 'oneway' || this.o.retries > 0) return this.encoder.encode(seq);
    return this.encoder.encodeInto(slot.bodies[i] ??= Buffer.allocUnsafe(this.o.sizeBytes), seq);
  }

  /** A send completed: latency from its intended start, counters, and the messages the consumers must see. */
  completed(slot: SendSlot, r: PerfSendResult | void): void {
    const n = slot.count;
    this.stats.sendLatency.recordMs(performance.now() - slot.intended);
    this.stats.acked += n;
    this.stats.ackedBytes += n * this.o.sizeBytes;
    const status = r ? r.status : 'SEND_OK';
    if (status !== 'SEND_OK') this.stats.error(`status ${status}`);
    if (this.verifier) for (let s = slot.seq0; s < slot.seq0 + n; s++) this.verifier.expect(this.stream, s);
  }

  failed(slot: SendSlot, e: unknown): void {
    slot.bodies = []; // the client may still hold a frame of them (see body())
    this.stats.sendErrors += slot.count;
    this.stats.error(errorKind(e));
  }

  /** A window send is over: its slot goes back to the free list and the next sends start. */
  release(slot: SendSlot): void {
    this.freeSlots.push(slot);
    this.inflight--;
    this.pump();
  }

  private pump(): void {
    while (this.inflight < this.o.inflight) {
      const intended = this.take(performance.now());
      if (intended === null) break;
      this.inflight++;
      const slot = this.freeSlots.pop() ?? new SendSlot(this);
      slot.intended = intended;
      this.startSend(slot).then(slot.onDone, slot.onFail);
    }
    this.maybeFinish();
  }

  /** sync mode: one send at a time per loop. */
  private async sendOne(slot: SendSlot): Promise<void> {
    try {
      this.completed(slot, await this.startSend(slot));
    } catch (e) {
      this.failed(slot, e);
    }
  }

  private async syncLoop(): Promise<void> {
    this.inflight++;
    const slot = new SendSlot(this);
    for (;;) {
      const now = performance.now();
      const intended = this.take(now);
      if (intended === null) {
        if (this.stopped) break;
        // Open loop, nothing due yet: sleep until the next slot.
        const next = intendedStartMs(this.startMs, this.issued, this.intervalMs!);
        await new Promise((r) => setTimeout(r, Math.max(0, next - now)));
        continue;
      }
      slot.intended = intended;
      await this.sendOne(slot);
    }
    this.inflight--;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.stopped && this.inflight === 0) this.finish();
  }

  private finish(): void {
    this.stopped = true;
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
    this.done();
  }
}

export class ProduceLoad {
  private readonly producers: PerfProducer[] = [];
  private loops: ProducerLoop[] = [];

  constructor(private readonly client: ClientModule, private readonly o: RunOptions, private readonly stats: Stats,
              private readonly verifier: Verifier | null, private readonly runId: number, private readonly tag: string) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.o.producers; i++) {
      const p = new this.client.Producer({
        groupName: `perf_producer_${this.tag}`, namesrvAddr: this.o.namesrv, sendMsgTimeoutMs: this.o.sendTimeoutMs,
        retryTimesWhenSendFailed: this.o.retries, instanceName: `perf-${this.tag}-p${i}`,
        compressMsgBodyOverHowmuch: 1 << 30, // measure the broker, not zlib
        ...(this.o.serializeType !== null ? { serializeType: this.o.serializeType } : {}),
      });
      await p.start();
      // Fetch routes before the clock starts, so the first sends of an open-loop timetable do not
      // queue behind name-server lookups (our client's fetchPublishMessageQueues, if present).
      const prime = (p as Partial<{ fetchPublishMessageQueues(topic: string): Promise<unknown> }>).fetchPublishMessageQueues;
      if (typeof prime === 'function') for (const t of topicNames(this.o)) await prime.call(p, t).catch(() => undefined);
      this.producers.push(p);
    }
  }

  /** Runs the budget; resolves when every send has completed. `streamBase` keeps streams unique across phases. */
  async run(budget: ProduceBudget, rateMsgsPerSec: number | null, streamBase = 0): Promise<void> {
    const n = this.producers.length;
    const counts = budget.count === null ? null : splitCount(budget.count, n);
    this.loops = this.producers.map((p, i) => new ProducerLoop(
      p, streamBase + i, this.o, this.stats, this.verifier, this.runId, counts ? counts[i]! : null, budget.deadlineMs,
      rateMsgsPerSec === null ? null : rateMsgsPerSec / n,
    ));
    for (const l of this.loops) l.start();
    await Promise.all(this.loops.map((l) => l.finished));
  }

  backlog(): number {
    const now = performance.now();
    return this.loops.reduce((s, l) => s + l.backlog(now), 0);
  }

  stop(): void { for (const l of this.loops) l.stop(); }

  async shutdown(): Promise<void> {
    await Promise.allSettled(this.producers.map((p) => p.shutdown()));
  }
}
