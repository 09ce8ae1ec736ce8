// POP consumption state (5.x PopMessageProcessor / AckMessageProcessor / PopReviveService, our own
// persistence). Per (group, topic, queue): the next offset to pop and the popped, un-acked messages
// with the time they become visible again. Every pop, ack, invisible-time change and revive is one
// line appended (write(2), so a kill -9 loses nothing) to <store>/pop/pop.log; the log is replayed
// at start and rewritten compacted when it grows. The committed consumer offset is the lowest
// un-acked offset, so lag views and a restart without the log stay at-least-once.
//
// Revive: a message whose invisible time is over is copied to %RETRY%<group>_<topic> (KeyBuilder
// V1) with reconsumeTimes + 1 (to %DLQ%<group> past the group's retryMaxTimes), and leaves the
// in-flight set. POP looks at the retry topic first with popFromRetryProbability percent.

import * as fs from 'node:fs';
import { join } from 'node:path';
import type { MessageFilter, MessageInner } from '@rmq/store';
import type { BrokerContext } from '../broker-context.js';
import { decodeRecord } from '../common/record.js';
import { PERM_READ, PERM_WRITE } from '../common/perm.js';
import { putProperty, tagsCodeOf } from '../common/properties.js';

export const POP_RETRY_SEPARATOR_V1 = '_';
export const POP_GROUP_PREFIX = '%RETRY%';
/** KeyBuilder.buildPopRetryTopicV1. */
export const popRetryTopic = (topic: string, group: string): string => `${POP_GROUP_PREFIX}${group}${POP_RETRY_SEPARATOR_V1}${topic}`;
export const PROP_FIRST_POP_TIME = '1ST_POP_TIME';
const COMPACT_AFTER_BYTES = 16 * 1024 * 1024;
const DLQ_PREFIX = '%DLQ%';

interface InFlight { visibleAt: number; popTime: number; invisibleTime: number }

export class QueueState {
  popOffset = -1;
  readonly inflight = new Map<number, InFlight>();
  locked = false;
  constructor(readonly group: string, readonly topic: string, readonly queueId: number) {}
  minUnacked(): number {
    let m = this.popOffset;
    for (const o of this.inflight.keys()) if (o < m) m = o;
    return m;
  }
}

interface Waiter { group: string; topics: string[]; wake: () => void }

export interface PopStats { popped: number; acked: number; revived: number; dlq: number }

export class PopService {
  private readonly queues = new Map<string, QueueState>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private waiterCount = 0;
  private fd = -1;
  private logBytes = 0;
  private readonly logPath: string;
  private reviveTimer: NodeJS.Timeout | null = null;
  private reviving = false;
  private started = false;
  readonly stats: PopStats = { popped: 0, acked: 0, revived: 0, dlq: 0 };

  constructor(private readonly ctx: BrokerContext) {
    this.logPath = join(ctx.storeConfig.storePathRootDir, 'pop', 'pop.log');
  }

  get heldRequests(): number { return this.waiterCount; }
  /** False before start and on a slave (the controller starts POP on masters only). */
  get serving(): boolean { return this.started; }

  start(): void {
    fs.mkdirSync(join(this.ctx.storeConfig.storePathRootDir, 'pop'), { recursive: true });
    this.replay();
    this.compact();
    this.started = true;
    this.reviveTimer = setInterval(() => void this.revive(), Math.max(10, this.ctx.config.popReviveIntervalMs));
    this.reviveTimer.unref();
  }

  state(group: string, topic: string, queueId: number): QueueState {
    const k = `${topic}@${group}@${queueId}`;
    let s = this.queues.get(k);
    if (!s) { s = new QueueState(group, topic, queueId); this.queues.set(k, s); }
    return s;
  }

  /** Where the next pop of a queue starts: the pop position, else the committed offset, else per initMode. */
  startOffset(s: QueueState, initMode: number): number {
    if (s.popOffset >= 0) return s.popOffset;
    const store = this.ctx.store;
    const committed = this.ctx.consumerOffsetManager.queryOffset(s.group, s.topic, s.queueId);
    // 5.x ConsumeInitMode: 0 MIN (from the first message), 1 MAX (from the end); retry topics from the first
    s.popOffset = committed >= 0 ? committed
      : initMode === 1 && !s.topic.startsWith(POP_GROUP_PREFIX) ? store.getMaxOffsetInQueue(s.topic, s.queueId)
        : store.getMinOffsetInQueue(s.topic, s.queueId);
    return s.popOffset;
  }

  // ------------------------------------------------------------------ operations

  /** Records a pop of `offsets` (and that the queue's pop position moved to `next`). */
  recordPop(s: QueueState, offsets: number[], next: number, popTime: number, invisibleTime: number): void {
    for (const o of offsets) s.inflight.set(o, { visibleAt: popTime + invisibleTime, popTime, invisibleTime });
    s.popOffset = next;
    this.append({ t: 'p', g: s.group, tp: s.topic, q: s.queueId, o: offsets, n: next, pt: popTime, it: invisibleTime });
    this.stats.popped += offsets.length;
    this.commit(s);
  }

  /** Ack: true when the message was in flight (false: acked before, revived, or never popped). Idempotent. */
  ack(group: string, topic: string, queueId: number, offset: number): boolean {
    const s = this.queues.get(`${topic}@${group}@${queueId}`);
    if (!s || !s.inflight.delete(offset)) return false;
    this.append({ t: 'a', g: group, tp: topic, q: queueId, o: offset });
    this.stats.acked++;
    this.commit(s);
    return true;
  }

  /** New invisible time from now; false when the message is not in flight. */
  changeInvisible(group: string, topic: string, queueId: number, offset: number, invisibleTime: number, now: number): boolean {
    const s = this.queues.get(`${topic}@${group}@${queueId}`);
    const f = s?.inflight.get(offset);
    if (!s || !f) return false;
    f.popTime = now; f.invisibleTime = invisibleTime; f.visibleAt = now + invisibleTime;
    this.append({ t: 'c', g: group, tp: topic, q: queueId, o: offset, pt: now, it: invisibleTime });
    return true;
  }

  private commit(s: QueueState): void {
    this.ctx.consumerOffsetManager.commitOffset(s.group, s.topic, s.queueId, s.minUnacked());
  }

  // ------------------------------------------------------------------ long polling

  /** Waits until a message arrives in one of `topics` (or timeout); false when too many wait. */
  hold(group: string, topics: string[], timeoutMs: number, signal?: { closed?: boolean }): Promise<boolean> | null {
    if (this.waiterCount >= this.ctx.config.popPollingMax) return null;
    void signal;
    return new Promise<boolean>((resolve) => {
      let done = false;
      const w: Waiter = { group, topics, wake: () => finish(true) };
      const finish = (arrived: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const t of topics) this.waiters.get(t)?.delete(w);
        this.waiterCount--;
        resolve(arrived);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      timer.unref();
      for (const t of topics) {
        let set = this.waiters.get(t);
        if (!set) { set = new Set(); this.waiters.set(t, set); }
        set.add(w);
      }
      this.waiterCount++;
    });
  }

  /** Held POP requests for a topic (POLLING_INFO). */
  pollingNum(topic: string, group: string): number {
    let n = 0;
    for (const w of this.waiters.get(topic) ?? []) if (w.group === group) n++;
    return n;
  }

  /** From the dispatcher: new messages in a topic wake the POPs waiting on it. */
  notifyMessageArriving(topic: string, queueId: number): void {
    void queueId;
    const set = this.waiters.get(topic);
    if (!set || set.size === 0) return;
    for (const w of [...set]) w.wake();
  }

  // ------------------------------------------------------------------ revive

  private async revive(): Promise<void> {
    if (this.reviving || !this.started) return;
    this.reviving = true;
    try {
      const now = Date.now();
      for (const s of this.queues.values()) {
        if (s.inflight.size === 0) continue;
        const due: number[] = [];
        for (const [o, f] of s.inflight) if (f.visibleAt <= now) due.push(o);
        if (due.length === 0) continue;
        due.sort((a, b) => a - b);
        for (const o of due) {
          const f = s.inflight.get(o);
          if (!f || f.visibleAt > Date.now()) continue; // acked or extended meanwhile
          const ok = await this.reviveOne(s, o, f);
          if (!this.started) return;
          if (ok && s.inflight.get(o) === f) {
            s.inflight.delete(o);
            this.append({ t: 'r', g: s.group, tp: s.topic, q: s.queueId, o });
            this.commit(s);
          }
        }
      }
    } catch (e) {
      this.ctx.logger.error(`pop revive failed: ${(e as Error).message}`);
    } finally {
      this.reviving = false;
    }
  }

  /** Copies one expired message to the retry topic (or the DLQ). True when done or nothing to do. */
  private async reviveOne(s: QueueState, offset: number, f: InFlight): Promise<boolean> {
    const ctx = this.ctx;
    const r = ctx.store.getMessage(s.group, s.topic, s.queueId, offset, 1, 4 * 1024 * 1024, null);
    if (r.status !== 'FOUND' || r.buffers.length === 0) {
      ctx.logger.warn(`pop revive: ${s.topic}/${s.queueId}@${offset} for ${s.group} is gone (${r.status}); dropped`);
      return true;
    }
    const m = decodeRecord(r.buffers[0]!);
    if (m.queueOffset !== offset) return true;
    const sgc = ctx.subscriptionGroupManager.findSubscriptionGroupConfig(s.group);
    const maxTimes = sgc?.retryMaxTimes ?? ctx.config.maxReconsumeTimes;
    const reconsume = m.reconsumeTimes + 1;
    const normal = s.topic.startsWith(POP_GROUP_PREFIX) ? s.topic.slice(POP_GROUP_PREFIX.length + s.group.length + 1) : s.topic;
    let topic = s.topic.startsWith(POP_GROUP_PREFIX) ? s.topic : popRetryTopic(s.topic, s.group);
    let queueId = 0;
    if (reconsume > maxTimes) {
      topic = DLQ_PREFIX + s.group;
      ctx.topicConfigManager.createTopicInSendMessageBackMethod(topic, 1, PERM_WRITE, 0);
      this.stats.dlq++;
    } else {
      ctx.topicConfigManager.createTopicInSendMessageBackMethod(topic, 1, PERM_WRITE | PERM_READ, 0);
    }
    let props = m.properties;
    if (props.indexOf(PROP_FIRST_POP_TIME + '\u0001') < 0) props = putProperty(props, PROP_FIRST_POP_TIME, String(f.popTime));
    props = putProperty(props, 'RETRY_TOPIC', normal);
    const inner: MessageInner = {
      topic, queueId, flag: m.flag, body: Buffer.from(m.body), properties: props, sysFlag: m.sysFlag,
      bornTimestamp: m.bornTimestamp, bornHost: m.bornHost.ip.includes(':') ? { ip: '127.0.0.1', port: m.bornHost.port } : m.bornHost,
      reconsumeTimes: reconsume, preparedTransactionOffset: 0, tagsCode: tagsCodeOf(props),
    };
    const put = await ctx.store.putMessage(inner);
    if (put.status !== 'PUT_OK' && put.status !== 'FLUSH_DISK_TIMEOUT') {
      ctx.logger.warn(`pop revive: put to ${topic} failed (${put.status}); retried`);
      return false;
    }
    this.stats.revived++;
    return true;
  }

  // ------------------------------------------------------------------ log

  private append(rec: Record<string, unknown>): void {
    if (this.fd < 0) return;
    const line = JSON.stringify(rec) + '\n';
    try {
      this.logBytes += fs.writeSync(this.fd, line);
    } catch (e) {
      this.ctx.logger.error(`pop log write failed: ${(e as Error).message}`);
    }
    if (this.logBytes > COMPACT_AFTER_BYTES) this.compact();
  }

  private replay(): void {
    let text = '';
    try { text = fs.readFileSync(this.logPath, 'utf8'); } catch { return; }
    let bad = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let r: { t: string; g: string; tp: string; q: number; o: number | number[]; n?: number; pt?: number; it?: number };
      try { r = JSON.parse(line); } catch { bad++; continue; }
      const s = this.state(r.g, r.tp, r.q);
      if (r.t === 'p') {
        for (const o of r.o as number[]) s.inflight.set(o, { visibleAt: r.pt! + r.it!, popTime: r.pt!, invisibleTime: r.it! });
        s.popOffset = Math.max(s.popOffset, r.n!);
      } else if (r.t === 'a' || r.t === 'r') {
        s.inflight.delete(r.o as number);
      } else if (r.t === 'c') {
        const f = s.inflight.get(r.o as number);
        if (f) { f.popTime = r.pt!; f.invisibleTime = r.it!; f.visibleAt = r.pt! + r.it!; }
      } else if (r.t === 's') {
        s.popOffset = Math.max(s.popOffset, r.n!);
      }
    }
    if (bad > 0) this.ctx.logger.warn(`pop log: ${bad} unreadable line(s) skipped (a torn last write)`);
    let n = 0;
    for (const s of this.queues.values()) n += s.inflight.size;
    if (n > 0) this.ctx.logger.info(`pop: ${n} un-acked message(s) restored from ${this.logPath}`);
  }

  /** Rewrites the log as the current state (temp file + rename). */
  private compact(): void {
    const lines: string[] = [];
    for (const s of this.queues.values()) {
      if (s.popOffset < 0 && s.inflight.size === 0) continue;
      lines.push(JSON.stringify({ t: 's', g: s.group, tp: s.topic, q: s.queueId, n: s.popOffset }));
      for (const [o, f] of s.inflight) lines.push(JSON.stringify({ t: 'p', g: s.group, tp: s.topic, q: s.queueId, o: [o], n: s.popOffset, pt: f.popTime, it: f.invisibleTime }));
    }
    const tmp = this.logPath + '.tmp';
    const body = lines.length > 0 ? lines.join('\n') + '\n' : '';
    fs.writeFileSync(tmp, body);
    const fd = fs.openSync(tmp, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    fs.renameSync(tmp, this.logPath);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.logPath, 'a');
    this.logBytes = Buffer.byteLength(body);
  }

  shutdown(): void {
    this.started = false;
    if (this.reviveTimer) clearInterval(this.reviveTimer);
    for (const set of this.waiters.values()) for (const w of [...set]) w.wake();
    if (this.fd >= 0) { try { fs.fsyncSync(this.fd); fs.closeSync(this.fd); } catch { /* closed */ } this.fd = -1; }
  }
}

/** TAG expression ("*", "a || b") as a consume-queue filter; null for all. */
export function tagFilter(expType: string | undefined, exp: string | undefined): MessageFilter | null {
  if (expType && expType !== 'TAG') return null;
  const e = (exp ?? '*').trim();
  if (e === '' || e === '*') return null;
  const codes = new Set<number>();
  for (const tag of e.split('||')) {
    const t = tag.trim();
    if (!t) continue;
    let h = 0;
    for (let i = 0; i < t.length; i++) h = (Math.imul(h, 31) + t.charCodeAt(i)) | 0;
    codes.add(h);
  }
  return { matchByConsumeQueue: (tagsCode: number) => codes.has(tagsCode) };
}
