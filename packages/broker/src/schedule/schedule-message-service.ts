// Delay levels (Apache's ScheduleMessageService). A message with DELAY=n is stored in
// SCHEDULE_TOPIC_XXXX queue n-1 with its destination in REAL_TOPIC/REAL_QID and its delivery time
// as the ConsumeQueue tagsCode. One timer per level delivers due messages back to the real topic
// (DELAY is kept, as Apache 4.9.8 does) in queue order; progress per level is persisted in
// <root>/config/delayOffset.json so delivery continues after a restart.

import { join } from 'node:path';
import type { Logger } from '@rmq/remoting';
import type { MessageStore, MessageInner } from '@rmq/store';
import { Persister, readConfigFile } from '../common/json-file.js';
import { decodeRecord } from '../common/record.js';
import { SCHEDULE_TOPIC } from '../common/perm.js';
import { PROP_DELAY, PROP_REAL_QID, PROP_REAL_TOPIC, getProperty, putProperty, removeProperty, tagsCodeOf } from '../common/properties.js';
import { parseIntKeyedJson } from '../offset/consumer-offset-manager.js';

const SCHEDULE_GROUP = 'SCHEDULE_CONSUMER';
const BATCH = 32;
const RETRY_AFTER_ERROR_MS = 1000;

export interface DelayedMessage {
  topic: string;
  queueId: number;
  properties: string;
  tagsCode: number;
}

export class ScheduleMessageService {
  /** level (1-based) -> next offset to deliver in queue level-1. */
  readonly offsetTable = new Map<number, number>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly running = new Set<number>();
  private readonly persister: Persister;
  private started = false;
  private dirty = false;

  constructor(
    private readonly store: MessageStore,
    readonly delayLevels: number[],
    storePathRootDir: string,
    private readonly logger: Logger,
  ) {
    this.persister = new Persister(join(storePathRootDir, 'config', 'delayOffset.json'), () => this.encode(true), logger);
  }

  get maxDelayLevel(): number {
    return this.delayLevels.length;
  }

  load(path: string): void {
    const text = readConfigFile(path);
    if (!text) return;
    const obj = parseIntKeyedJson(text) as { offsetTable?: Record<string, number> };
    for (const [lvl, off] of Object.entries(obj.offsetTable ?? {})) this.offsetTable.set(Number(lvl), Number(off));
  }

  /**
   * Rewrites a message with DELAY=level into its staged form (SCHEDULE_TOPIC_XXXX, queue level-1,
   * tagsCode = delivery time). Levels above the maximum are capped like Apache does.
   */
  stage(topic: string, queueId: number, properties: string, level: number, now = Date.now()): DelayedMessage {
    const lvl = Math.min(level, this.maxDelayLevel);
    let props = putProperty(properties, PROP_REAL_TOPIC, topic);
    props = putProperty(props, PROP_REAL_QID, String(queueId));
    if (lvl !== level) props = putProperty(props, PROP_DELAY, String(lvl));
    return { topic: SCHEDULE_TOPIC, queueId: lvl - 1, properties: props, tagsCode: now + this.delayLevels[lvl - 1]! };
  }

  start(): void {
    this.started = true;
    for (let lvl = 1; lvl <= this.maxDelayLevel; lvl++) {
      if (!this.offsetTable.has(lvl)) this.offsetTable.set(lvl, 0);
      this.kick(lvl, 0);
    }
  }

  /** From the dispatcher: something new in SCHEDULE_TOPIC_XXXX. */
  notifyMessageArriving(queueId: number): void {
    const lvl = queueId + 1;
    if (!this.started || lvl < 1 || lvl > this.maxDelayLevel) return;
    if (this.running.has(lvl)) return;
    // A pending timer waits for an earlier message that is due sooner: nothing to do.
    if (this.timers.has(lvl)) return;
    this.kick(lvl, 0);
  }

  private kick(lvl: number, delayMs: number): void {
    const old = this.timers.get(lvl);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      this.timers.delete(lvl);
      void this.deliverLevel(lvl);
    }, Math.max(0, delayMs));
    t.unref();
    this.timers.set(lvl, t);
  }

  /** Delivers due messages of one level in order; re-arms for the first not-yet-due one. */
  private async deliverLevel(lvl: number): Promise<void> {
    if (!this.started || this.running.has(lvl)) return;
    this.running.add(lvl);
    const queueId = lvl - 1;
    try {
      for (;;) {
        const offset = this.offsetTable.get(lvl) ?? 0;
        const res = this.store.getMessage(SCHEDULE_GROUP, SCHEDULE_TOPIC, queueId, offset, BATCH, 4 * 1024 * 1024, null);
        if (res.status !== 'FOUND' || res.buffers.length === 0) {
          if (res.status === 'OFFSET_TOO_SMALL' || res.status === 'OFFSET_OVERFLOW_BADLY') {
            this.setOffset(lvl, res.nextBeginOffset);
            continue;
          }
          return; // idle until the dispatcher reports a new staged message
        }
        let next = offset;
        // Decode (and copy bodies) before any await: the buffers are views over the page cache.
        const batch = [...this.splitRecords(res.buffers)].map((buf) => {
          const m = decodeRecord(buf);
          return { ...m, body: Buffer.from(m.body) };
        });
        for (const msg of batch) {
          const deliverAt = msg.storeTimestamp + this.delayLevels[lvl - 1]!;
          const now = Date.now();
          if (deliverAt > now) {
            this.setOffset(lvl, next);
            if (this.started) this.kick(lvl, deliverAt - now);
            return;
          }
          const ok = await this.deliverOne(msg);
          if (!ok) {
            this.setOffset(lvl, next);
            if (this.started) this.kick(lvl, RETRY_AFTER_ERROR_MS);
            return;
          }
          next = msg.queueOffset + 1;
        }
        this.setOffset(lvl, Math.max(next, res.nextBeginOffset));
      }
    } catch (e) {
      this.logger.error(`schedule level ${lvl} failed: ${(e as Error).message}`);
      if (this.started) this.kick(lvl, RETRY_AFTER_ERROR_MS);
    } finally {
      this.running.delete(lvl);
    }
  }

  /** The store may hand several records in one buffer: split by TOTALSIZE. */
  private *splitRecords(buffers: Buffer[]): Generator<Buffer> {
    for (const b of buffers) {
      let p = 0;
      while (p + 4 <= b.length) {
        const size = b.readInt32BE(p);
        if (size <= 0 || p + size > b.length) break;
        yield b.subarray(p, p + size);
        p += size;
      }
    }
  }

  private async deliverOne(msg: ReturnType<typeof decodeRecord>): Promise<boolean> {
    const realTopic = getProperty(msg.properties, PROP_REAL_TOPIC);
    const realQid = Number(getProperty(msg.properties, PROP_REAL_QID) ?? 0);
    if (!realTopic) {
      this.logger.warn(`schedule: message at ${msg.commitLogOffset} has no REAL_TOPIC, skipped`);
      return true;
    }
    const properties = removeProperty(msg.properties, 'WAIT');
    const inner: MessageInner = {
      topic: realTopic, queueId: realQid, flag: msg.flag, body: msg.body,
      properties: properties + '\u0002WAIT\u0001false',
      sysFlag: msg.sysFlag & ~0x30, bornTimestamp: msg.bornTimestamp,
      bornHost: msg.bornHost.ip.includes(':') ? { ip: '127.0.0.1', port: msg.bornHost.port } : msg.bornHost,
      reconsumeTimes: msg.reconsumeTimes, preparedTransactionOffset: msg.preparedTransactionOffset,
      tagsCode: tagsCodeOf(properties),
    };
    const r = await this.store.putMessage(inner);
    if (r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT') return true;
    this.logger.warn(`schedule: deliver to ${realTopic} failed: ${r.status}`);
    return false;
  }

  private setOffset(lvl: number, offset: number): void {
    if (this.offsetTable.get(lvl) === offset) return;
    this.offsetTable.set(lvl, offset);
    this.dirty = true;
  }

  persistIfDirty(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    return this.persister.request().catch(() => undefined);
  }

  /** Apache's delayOffset.json: `{"offsetTable":{1:0,2:5}}`. */
  encode(pretty = false): string {
    const nl = pretty ? '\n' : '';
    const parts: string[] = [];
    for (const [lvl, off] of [...this.offsetTable].sort((a, b) => a[0] - b[0])) parts.push(`${lvl}:${off}`);
    return `{${nl}"offsetTable":{${parts.join(',')}}${nl}}`;
  }

  /** Resolves when no background write is in flight. */
  idle(): Promise<void> {
    return this.persister.idle();
  }

  shutdown(): void {
    this.started = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.dirty = false;
    this.persister.flushSync();
  }
}
