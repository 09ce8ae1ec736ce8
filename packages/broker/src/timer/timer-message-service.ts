// Timer messages (5.x): a message with TIMER_DELIVER_MS (epoch ms), TIMER_DELAY_SEC or TIMER_DELAY_MS
// is stored in rmq_sys_wheel_timer with its destination in REAL_TOPIC/REAL_QID and its due time in
// TIMER_OUT_MS (HookUtils.transformTimerMessage of 5.x, without rounding the time down to the
// precision). Queue 0 holds timers, queue 1 cancels (TIMER_DEL_UNIQKEY = "<topic>+<UNIQ_KEY>").
//
// Enqueue: the service reads queue 0 from its own offset and links each message (commit log offset
// and size only) into the store's TimerWheel (packages/store/src/timer). Dequeue: slots are opened
// one slot ahead of time, their records sorted by due time and each message is read back from the
// commit log and put to its real topic at its millisecond. The enqueue/cancel offsets and the live
// cancels are the wheel's `meta`, saved atomically with each wheel snapshot, so after a kill -9 the
// wheel is as of its last snapshot and everything after it is enqueued again from the queue.

import { join } from 'node:path';
import type { Logger } from '@rmq/remoting';
import type { MessageFilter, MessageInner, MessageStore } from '@rmq/store';
import { TimerBatch, TimerWheel } from '@rmq/store/timer/timer-wheel';
import { recordProperties } from '../common/record.js';
import { PROP_REAL_QID, PROP_REAL_TOPIC, PROP_UNIQ_KEY, getProperty, putProperty, removeProperty, tagsCodeOf } from '../common/properties.js';

export const TIMER_TOPIC = 'rmq_sys_wheel_timer';
export const PROP_TIMER_DELIVER_MS = 'TIMER_DELIVER_MS';
export const PROP_TIMER_DELAY_SEC = 'TIMER_DELAY_SEC';
export const PROP_TIMER_DELAY_MS = 'TIMER_DELAY_MS';
export const PROP_TIMER_DEL_UNIQKEY = 'TIMER_DEL_UNIQKEY';
export const PROP_TIMER_OUT_MS = 'TIMER_OUT_MS';
export const PROP_TIMER_ENQUEUE_MS = 'TIMER_ENQUEUE_MS';
export const PROP_TIMER_DEQUEUE_MS = 'TIMER_DEQUEUE_MS';

/** The consumer group the service reads rmq_sys_wheel_timer as. */
const TIMER_GROUP = 'TIMER_CONSUMER';
/** The two queues of rmq_sys_wheel_timer: timers, and cancels (TIMER_DEL_UNIQKEY). */
const Queue = { TIMER: 0, CANCEL: 1 } as const;
/** Messages one enqueue round reads from a queue. */
const ENQUEUE_BATCH = 1024;
// Puts are appended synchronously; their promises resolve once the bytes are handed to the OS (flush pool).
// Deliveries do not wait for that (only clearing a slot does), up to this many unresolved puts.
const MAX_INFLIGHT_PUTS = 65_536;
const MAX_OPEN_SLOTS = 8;
const CANCEL_KEEP_MS = 60_000;
const RETRY_AFTER_ERROR_MS = 1000;
const CANCELLED = Symbol('cancelled');

/** "<real topic>+<UNIQ_KEY>": the key a cancel names (TimerMessageStore.buildDeleteKey). */
export const timerDeleteKey = (topic: string, uniqKey: string): string => `${topic}+${uniqKey}`;

export interface TimerConfig {
  timerWheelEnable: boolean;
  timerMaxDelaySec: number;
  timerPrecisionMs: number;
  timerWheelSlots: number;
  timerFlushIntervalMs: number;
}

/** tagsCode carries the due time into the consume queue entry, so enqueueing reads no record. */
export interface StagedTimer { topic: string; queueId: number; properties: string; tagsCode: number }

interface Meta { enq: number; cancelOff: number; cancels: Array<[string, number]> }

interface OpenSlot {
  slot: number;
  batch: TimerBatch;
  cursor: number;
  lastHead: number;
  inflight: number;
  /** records to link again after the slot is cleared: [deliverMs, phy, size, minSlot] */
  relink: number[];
}

export interface TimerStats { enqueued: number; delivered: number; cancelled: number; rolled: number; failed: number; latenessMs: Float64Array; latenessN: number }

export class TimerMessageService {
  private wheel: TimerWheel | null = null;
  private enqOffset = 0;
  private cancelOffset = 0;
  private readonly cancels = new Map<string, number>();
  private readonly open: OpenSlot[] = [];
  private readonly codes: number[] = [];
  private wake: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private started = false;
  private pumping = false;
  private enqueueScheduled = false;
  private totalInflight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  /** Recent delivery lateness samples (ring of 64k), for the benchmark and /metrics. */
  readonly stats: TimerStats = { enqueued: 0, delivered: 0, cancelled: 0, rolled: 0, failed: 0, latenessMs: new Float64Array(65536), latenessN: 0 };

  constructor(
    private readonly store: MessageStore,
    private readonly cfg: TimerConfig,
    private readonly storePathRootDir: string,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean { return this.cfg.timerWheelEnable; }
  get pending(): number { return this.wheel?.pending ?? 0; }

  /**
   * The send path's hook: null for an ordinary message, an error text for an illegal timer (answered
   * MESSAGE_ILLEGAL), or the staged form to store instead.
   */
  stage(topic: string, queueId: number, properties: string, now = Date.now()): StagedTimer | string | null {
    const sec = getProperty(properties, PROP_TIMER_DELAY_SEC);
    const ms = sec === undefined ? getProperty(properties, PROP_TIMER_DELAY_MS) : undefined;
    const at = sec === undefined && ms === undefined ? getProperty(properties, PROP_TIMER_DELIVER_MS) : undefined;
    const isCancel = getProperty(properties, PROP_TIMER_DEL_UNIQKEY) !== undefined;
    if (sec === undefined && ms === undefined && at === undefined) {
      return isCancel ? 'timer message illegal: a TIMER_DEL_UNIQKEY message needs TIMER_DELIVER_MS, TIMER_DELAY_SEC or TIMER_DELAY_MS' : null;
    }
    const raw = (sec ?? ms ?? at)!;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) return `timer message illegal: ${sec !== undefined ? PROP_TIMER_DELAY_SEC : ms !== undefined ? PROP_TIMER_DELAY_MS : PROP_TIMER_DELIVER_MS}=${raw} is not a number`;
    const deliverMs = Math.floor(sec !== undefined ? now + n * 1000 : ms !== undefined ? now + n : n);
    if (deliverMs <= now) {
      return isCancel ? 'timer message illegal: the delivery time of a cancel (TIMER_DEL_UNIQKEY) must be in the future' : null;
    }
    if (!this.cfg.timerWheelEnable) return 'timer message illegal: the timer wheel is disabled on this broker (timerWheelEnable=false)';
    if (deliverMs - now > this.cfg.timerMaxDelaySec * 1000) {
      return `timer message illegal, the delay time should not be bigger than the max delay ${this.cfg.timerMaxDelaySec * 1000} ms`;
    }
    let p = putProperty(properties, PROP_TIMER_OUT_MS, String(deliverMs));
    p = putProperty(p, PROP_REAL_TOPIC, topic);
    p = putProperty(p, PROP_REAL_QID, String(queueId));
    return { topic: TIMER_TOPIC, queueId: isCancel ? Queue.CANCEL : Queue.TIMER, properties: p, tagsCode: deliverMs };
  }

  start(): void {
    if (!this.cfg.timerWheelEnable || this.started) return;
    const dir = join(this.storePathRootDir, 'timer');
    this.wheel = TimerWheel.open({ dir, precisionMs: this.cfg.timerPrecisionMs, slots: this.cfg.timerWheelSlots, logger: this.logger });
    const w = this.wheel;
    if (w.meta) {
      try {
        const m = JSON.parse(w.meta) as Meta;
        this.enqOffset = m.enq; this.cancelOffset = m.cancelOff;
        for (const [k, exp] of m.cancels) this.cancels.set(k, exp);
      } catch { this.logger.error('timer: wheel meta unreadable; re-enqueueing the timer queue from its start'); }
    }
    // The queue may have lost its tail in a machine crash: never wait past its end.
    const max0 = this.store.getMaxOffsetInQueue(TIMER_TOPIC, Queue.TIMER);
    if (this.enqOffset > max0) { this.logger.warn(`timer: enqueue offset ${this.enqOffset} beyond queue end ${max0}; clamped`); this.enqOffset = max0; }
    const max1 = this.store.getMaxOffsetInQueue(TIMER_TOPIC, Queue.CANCEL);
    if (this.cancelOffset > max1) this.cancelOffset = max1;
    w.initDequeueSlot(w.slotOf(Date.now()));
    this.started = true;
    if (w.recovered) this.logger.info(`timer: wheel recovered, ${w.pending} pending, enqueue offset ${this.enqOffset}, ${max0 - this.enqOffset} to re-enqueue`);
    this.enqueue();
    this.pump();
    this.checkpointTimer = setInterval(() => void this.checkpoint(), Math.max(50, this.cfg.timerFlushIntervalMs));
    this.checkpointTimer.unref();
  }

  /** From the dispatcher: something new in rmq_sys_wheel_timer. */
  notifyMessageArriving(): void {
    if (!this.started || this.enqueueScheduled) return;
    this.enqueueScheduled = true;
    setImmediate(() => { this.enqueueScheduled = false; this.enqueue(); });
  }

  // ------------------------------------------------------------------ enqueue

  /**
   * Links new entries of queue 0 into the wheel. Fast path: the consume queue entry's tagsCode is the
   * due time (set at staging) and only the commit log offset is looked up; an entry whose tagsCode is
   * not a time (a queue rebuilt by store recovery recomputes tag hashes) is read from the commit log.
   */
  private enqueue(): void {
    const w = this.wheel;
    if (!this.started || w === null) return;
    const store = this.store;
    let linked = 0;
    const codes = this.codes;
    const grab: MessageFilter = { matchByConsumeQueue: (tc: number) => { codes.push(tc); return false; } };
    for (let rounds = 0; ; rounds++) {
      if (rounds === 4) { this.notifyMessageArriving(); break; } // up to 64k entries, then yield to the event loop
      const from = this.enqOffset;
      const max = store.getMaxOffsetInQueue(TIMER_TOPIC, Queue.TIMER);
      if (from >= max) break;
      codes.length = 0;
      const r = store.getMessage(TIMER_GROUP, TIMER_TOPIC, Queue.TIMER, from, ENQUEUE_BATCH, 1, grab);
      if (r.status === 'OFFSET_TOO_SMALL' || r.status === 'OFFSET_OVERFLOW_BADLY') { this.enqOffset = r.nextBeginOffset; continue; }
      const end = r.nextBeginOffset;
      if (end <= from) break;
      const exact = codes.length === end - from; // else some entries were skipped (removed): read each
      const now = Date.now();
      for (let q = from; q < end; q++) {
        const phy = store.getCommitLogOffsetInQueue(TIMER_TOPIC, Queue.TIMER, q);
        let d = exact ? codes[q - from]! : -1;
        if (!(d > 1e12)) {
          const rec = store.lookMessageByOffset(phy);
          if (rec === null) { this.logger.warn(`timer: queue entry ${q} points at ${phy}, not a record; skipped`); continue; }
          d = Number(getProperty(recordProperties(rec), PROP_TIMER_OUT_MS));
          if (!Number.isFinite(d)) d = now;
        }
        w.append(d, phy, 0);
        linked++;
      }
      this.enqOffset = end;
    }
    this.enqueueCancels();
    if (linked > 0) { this.stats.enqueued += linked; w.markDirty(); this.pump(); }
  }

  private enqueueCancels(): void {
    for (;;) {
      const r = this.store.getMessage(TIMER_GROUP, TIMER_TOPIC, Queue.CANCEL, this.cancelOffset, ENQUEUE_BATCH, 4 * 1024 * 1024, null);
      if (r.status === 'OFFSET_TOO_SMALL' || r.status === 'OFFSET_OVERFLOW_BADLY') { this.cancelOffset = r.nextBeginOffset; continue; }
      if (r.status !== 'FOUND' || r.nextBeginOffset <= this.cancelOffset) break;
      for (const rec of r.buffers) {
        const props = recordProperties(rec);
        const key = getProperty(props, PROP_TIMER_DEL_UNIQKEY);
        const d = Number(getProperty(props, PROP_TIMER_OUT_MS));
        if (key) this.cancels.set(key, (Number.isFinite(d) ? d : Date.now()) + CANCEL_KEEP_MS);
      }
      this.cancelOffset = r.nextBeginOffset;
      this.wheel?.markDirty();
    }
  }

  // ------------------------------------------------------------------ dequeue

  private schedule(at: number): void {
    if (!this.started) return;
    if (this.wake !== null && at >= this.wakeAt) return;
    if (this.wake !== null) clearTimeout(this.wake);
    this.wakeAt = at;
    this.wake = setTimeout(() => { this.wake = null; this.wakeAt = Infinity; this.pump(); }, Math.max(0, at - Date.now()));
  }

  /** Opens due slots, reads their new records, delivers what is due, closes finished slots in order. */
  private pump(): void {
    const w = this.wheel;
    if (!this.started || w === null || this.pumping) return;
    this.pumping = true;
    try {
      const P = w.precisionMs;
      const now = Date.now();
      if (this.open.length === 0) w.skipEmpty(w.slotOf(now));
      // open slots one slot ahead of their time, in order
      let next = this.open.length > 0 ? this.open[this.open.length - 1]!.slot + 1 : w.dequeueSlot;
      const horizon = w.slotOf(now + P);
      while (next <= horizon && this.open.length < MAX_OPEN_SLOTS) {
        this.open.push({ slot: next, batch: new TimerBatch(), cursor: 0, lastHead: -1, inflight: 0, relink: [] });
        next++;
      }
      let wakeAt = (horizon + 1) * P - P; // next slot to open
      for (const s of this.open) {
        if (w.headAt(s.slot) !== s.lastHead) this.refresh(s);
        const due = this.deliverDue(s, Date.now());
        if (due < wakeAt) wakeAt = due;
      }
      // close finished slots in order (their time is over and every put is done)
      while (this.open.length > 0) {
        const s = this.open[0]!;
        if (Date.now() < (s.slot + 1) * P || s.cursor < s.batch.n || s.inflight > 0 || w.headAt(s.slot) !== s.lastHead) break;
        this.open.shift();
        w.clear(s.slot);
        for (let i = 0; i < s.relink.length; i += 4) w.append(s.relink[i]!, s.relink[i + 1]!, s.relink[i + 2]!, s.relink[i + 3]!);
      }
      if (this.open.length > 0) wakeAt = Math.min(wakeAt, (this.open[0]!.slot + 1) * P);
      if (this.open.length >= MAX_OPEN_SLOTS) wakeAt = Math.min(wakeAt, Date.now() + 1);
      this.schedule(wakeAt);
    } catch (e) {
      this.logger.error(`timer: dequeue failed: ${(e as Error).message}`);
      this.schedule(Date.now() + RETRY_AFTER_ERROR_MS);
    } finally {
      this.pumping = false;
      if (this.totalInflight === 0 && this.idleWaiters.length > 0) for (const f of this.idleWaiters.splice(0)) f();
    }
  }

  /** Reads the records linked into a slot since the last read; keeps the undelivered part sorted. */
  private refresh(s: OpenSlot): void {
    const b = s.batch;
    const from = b.n;
    s.lastHead = this.wheel!.read(s.slot, b, s.lastHead);
    if (b.n === from) return;
    const rest = b.n - s.cursor;
    if (rest <= 1) return;
    const idx = new Array<number>(rest);
    for (let i = 0; i < rest; i++) idx[i] = s.cursor + i;
    idx.sort((x, y) => b.deliverMs[x]! - b.deliverMs[y]!);
    const d = b.deliverMs.slice(s.cursor, b.n), p = b.phy.slice(s.cursor, b.n), z = b.size.slice(s.cursor, b.n);
    for (let i = 0; i < rest; i++) {
      const j = idx[i]! - s.cursor;
      b.deliverMs[s.cursor + i] = d[j]!; b.phy[s.cursor + i] = p[j]!; b.size[s.cursor + i] = z[j]!;
    }
  }

  /** Starts the puts of every due record; returns when the next one is due (Infinity: none). */
  private deliverDue(s: OpenSlot, now: number): number {
    const b = s.batch;
    const P = this.wheel!.precisionMs;
    while (s.cursor < b.n) {
      const i = s.cursor;
      const d = b.deliverMs[i]!;
      if (Math.floor(d / P) > s.slot) {
        // a later round of this slot index: link it again once the slot is cleared
        s.relink.push(d, b.phy[i]!, b.size[i]!, 0);
        this.stats.rolled++;
        s.cursor++;
        continue;
      }
      if (d > now) return d;
      if (this.totalInflight >= MAX_INFLIGHT_PUTS) return now + 1;
      s.cursor++;
      this.deliver(s, d, b.phy[i]!, b.size[i]!, now);
    }
    return Infinity;
  }

  private deliver(s: OpenSlot, d: number, phy: number, size: number, now: number): void {
    const rec = this.store.lookMessageByOffset(phy, size > 0 ? size : undefined);
    const inner = rec === null ? null : this.toRealTopic(rec, now);
    if (inner === null) {
      this.stats.failed++;
      this.logger.warn(`timer: staged message at ${phy} is unreadable or no longer in the commit log; dropped`);
      return;
    }
    if (inner === CANCELLED) { this.stats.cancelled++; return; }
    const realTopic = inner.topic;
    s.inflight++;
    this.totalInflight++;
    const done = (ok: boolean, why?: string) => {
      s.inflight--;
      this.totalInflight--;
      if (ok) {
        this.stats.delivered++;
        const st = this.stats;
        st.latenessMs[st.latenessN++ & 65535] = Date.now() - d;
      } else {
        this.stats.failed++;
        this.logger.warn(`timer: delivery to ${realTopic} failed (${why}); retried in ${RETRY_AFTER_ERROR_MS} ms`);
        s.relink.push(d, phy, size, this.wheel!.slotOf(Date.now() + RETRY_AFTER_ERROR_MS));
      }
      if (s.inflight === 0 || this.totalInflight === MAX_INFLIGHT_PUTS - 1) this.pump();
    };
    this.store.putMessage(inner).then(
      (r) => done(r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT', r.status),
      (e: Error) => done(false, e.message),
    );
  }

  /**
   * The staged record as the message to put to its real topic (REAL_TOPIC/REAL_QID removed,
   * TIMER_DEQUEUE_MS added), read field by field without a full decode; CANCELLED when a cancel
   * names it, null when the record is malformed. The body is a view: the put copies it synchronously.
   */
  private toRealTopic(rec: Buffer, now: number): MessageInner | typeof CANCELLED | null {
    if (rec.length < 91) return null;
    const sysFlag = rec.readInt32BE(36);
    const bornV6 = (sysFlag & 0x10) !== 0;
    let p = 48;
    const bornHost = bornV6 ? { ip: '127.0.0.1', port: rec.readInt32BE(p + 16) } : { ip: `${rec[p]}.${rec[p + 1]}.${rec[p + 2]}.${rec[p + 3]}`, port: rec.readInt32BE(p + 4) };
    p += bornV6 ? 20 : 8;
    p += 8 + ((sysFlag & 0x20) !== 0 ? 20 : 8); // store timestamp, store host
    const reconsumeTimes = rec.readInt32BE(p); p += 4;
    const prepared = rec.readInt32BE(p) * 4294967296 + rec.readUInt32BE(p + 4); p += 8;
    const bodyLen = rec.readInt32BE(p); p += 4;
    if (bodyLen < 0 || p + bodyLen + 3 > rec.length) return null;
    const body = rec.subarray(p, p + bodyLen); p += bodyLen;
    p += 1 + rec[p]!; // topic
    const propLen = rec.readUInt16BE(p); p += 2;
    const props0 = rec.toString('utf8', p, p + propLen);
    const realTopic = getProperty(props0, PROP_REAL_TOPIC);
    if (!realTopic) return null;
    if (this.cancels.size > 0) {
      const uniq = getProperty(props0, PROP_UNIQ_KEY);
      if (uniq !== undefined && this.cancels.has(timerDeleteKey(realTopic, uniq))) return CANCELLED;
    }
    const qid = Number(getProperty(props0, PROP_REAL_QID) ?? 0) || 0;
    const props = removeProperty(removeProperty(props0, PROP_REAL_TOPIC), PROP_REAL_QID) + `\u0002${PROP_TIMER_DEQUEUE_MS}\u0001${now}`;
    return {
      topic: realTopic, queueId: qid, flag: rec.readInt32BE(16), body, properties: props, sysFlag,
      bornTimestamp: rec.readInt32BE(40) * 4294967296 + rec.readUInt32BE(44), bornHost,
      reconsumeTimes, preparedTransactionOffset: prepared, tagsCode: tagsCodeOf(props),
    };
  }

  // ------------------------------------------------------------------ persistence

  private metaText(): string {
    const now = Date.now();
    for (const [k, exp] of this.cancels) if (exp < now) this.cancels.delete(k);
    const m: Meta = { enq: this.enqOffset, cancelOff: this.cancelOffset, cancels: [...this.cancels] };
    return JSON.stringify(m);
  }

  /** Snapshot of the wheel with the enqueue state (periodic; also at shutdown). */
  checkpoint(): Promise<void> {
    const w = this.wheel;
    if (w === null) return Promise.resolve();
    w.meta = this.metaText();
    return w.checkpoint();
  }

  /** Resolves when no delivery is in flight. */
  idle(): Promise<void> {
    if (this.totalInflight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.wake) clearTimeout(this.wake);
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    await this.idle();
    const w = this.wheel;
    if (w) {
      // Slots with deliveries done are cleared and their undelivered rest linked again, so a clean
      // restart delivers nothing twice; untouched slots stay as they are.
      const again: number[] = [];
      for (const s of this.open) {
        if (w.headAt(s.slot) !== s.lastHead) this.refresh(s);
        if (s.cursor === 0 && s.relink.length === 0 && s.batch.n > 0) break; // untouched from here on
        const b = s.batch;
        for (let i = s.cursor; i < b.n; i++) again.push(b.deliverMs[i]!, b.phy[i]!, b.size[i]!, 0);
        again.push(...s.relink);
        w.clear(s.slot);
      }
      for (let i = 0; i < again.length; i += 4) w.append(again[i]!, again[i + 1]!, again[i + 2]!, again[i + 3]!);
      this.open.length = 0;
      w.meta = this.metaText();
      await w.close();
    }
    this.wheel = null;
  }
}
