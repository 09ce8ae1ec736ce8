// The in-memory MessageStore of the broker tests (one for all of them): implements the @rmq/store
// MessageStore interface with its contract (V1 records, per-queue offsets, GetStatus semantics of
// Apache's DefaultMessageStore.getMessage, dispatch notifications on a later turn), so processor
// behaviour is pinned without disk or worker threads. put() adds a ready-made record (the admin and
// query tests replay captured ones); deleted/cleaned record what retention calls it received.

import {
  encodeRecord as encodeStoreRecord, getProperty, recordSize, type GetResult, type MessageFilter, type MessageInner, type MessageStore, type NewMessageListener,
  type PutResult, type QueryResult, type StoreConfig,
} from '@rmq/store';
import { offsetMsgId } from '../../src/common/record.js';
import { tagsCodeOf } from '../../src/common/properties.js';

interface Entry { phy: number; size: number; tagsCode: number; record: Buffer; storeTs: number; keys: string[] }

/** The V1 record of m as the disk store writes it (body CRC left 0). */
export function encodeRecord(m: MessageInner, queueOffset: number, phyOffset: number, storeTimestamp: number, storeHost: { ip: string; port: number }): Buffer {
  const topicBytes = Buffer.from(m.topic);
  const propertiesLength = Buffer.byteLength(m.properties);
  const size = recordSize(m.sysFlag, m.body.length, topicBytes.length, propertiesLength);
  const b = Buffer.alloc(size);
  encodeStoreRecord(b, 0, size, { ...m, topicBytes, propertiesLength, bodyCRC: 0 }, queueOffset, phyOffset, storeTimestamp, storeHost);
  return b;
}

/** The index keys of a message: its KEYS (space separated) and UNIQ_KEY. */
function keysOf(properties: string): string[] {
  const keys = (getProperty(properties, 'KEYS') ?? '').split(' ').filter((k) => k.length > 0);
  const uniq = getProperty(properties, 'UNIQ_KEY');
  if (uniq) keys.push(uniq);
  return keys;
}

export class MemoryStore implements MessageStore {
  readonly queues = new Map<string, Entry[]>();
  readonly byPhy = new Map<number, Entry>();
  /** topics lists passed to deleteTopics, in call order */
  readonly deleted: string[][] = [];
  /** calls of cleanExpiredConsumeQueues */
  cleaned = 0;
  getMessageCalls = 0;
  indexLastUpdateTimestamp = 0;
  private phyNext = 0;
  private listeners: NewMessageListener[] = [];
  private readonly storeHost: { ip: string; port: number };

  constructor(config: Pick<StoreConfig, 'storeHost'> = { storeHost: { ip: '127.0.0.1', port: 10911 } }) {
    this.storeHost = config.storeHost;
  }

  static async open(config: StoreConfig): Promise<MessageStore> {
    return new MemoryStore(config);
  }

  private q(topic: string, queueId: number, create = false): Entry[] | undefined {
    const k = `${topic}/${queueId}`;
    let e = this.queues.get(k);
    if (!e && create) { e = []; this.queues.set(k, e); }
    return e;
  }

  /** Appends a ready-made record to topic/queueId (at phy when given); returns its queue offset. */
  put(topic: string, queueId: number, record: Buffer, storeTs: number, keys: string[] = [], phy?: number, tagsCode = 0): number {
    const q = this.q(topic, queueId, true)!;
    const e: Entry = { phy: phy ?? this.phyNext, size: record.length, tagsCode, storeTs, record, keys };
    this.phyNext = Math.max(this.phyNext, e.phy + record.length);
    q.push(e);
    this.byPhy.set(e.phy, e);
    this.indexLastUpdateTimestamp = storeTs;
    return q.length - 1;
  }

  private append(m: MessageInner, now: number): { entry: Entry; queueOffset: number } {
    const queueOffset = this.q(m.topic, m.queueId)?.length ?? 0;
    const record = encodeRecord(m, queueOffset, this.phyNext, now, this.storeHost);
    this.put(m.topic, m.queueId, record, now, keysOf(m.properties), undefined, m.tagsCode ?? tagsCodeOf(m.properties));
    return { entry: this.byPhy.get(this.phyNext - record.length)!, queueOffset };
  }

  private notify(topic: string, queueId: number): void {
    const max = this.q(topic, queueId)?.length ?? 0;
    setImmediate(() => { for (const l of this.listeners) l(topic, queueId, max); });
  }

  async putMessage(m: MessageInner): Promise<PutResult> {
    const now = Date.now();
    const { entry, queueOffset } = this.append(m, now);
    this.notify(m.topic, m.queueId);
    return { status: 'PUT_OK', wroteOffset: entry.phy, wroteBytes: entry.size, queueOffset,
      msgId: offsetMsgId(this.storeHost, entry.phy), storeTimestamp: now, msgNum: 1 };
  }

  putMessageThen<A>(m: MessageInner, done: (r: PutResult, arg: A) => void, arg: A): void {
    // as the real store: later, unless the put fails at once (this one never does)
    this.putMessage(m).then((r) => done(r, arg), (e: Error) => done({ status: 'UNKNOWN_ERROR', wroteOffset: 0, wroteBytes: 0, queueOffset: 0, msgId: '', storeTimestamp: 0, msgNum: 0, error: e.message }, arg));
  }

  async putMessages(topic: string, queueId: number, batch: MessageInner[]): Promise<PutResult> {
    const now = Date.now();
    const ids: string[] = [];
    let first = -1; let firstPhy = -1; let bytes = 0;
    for (const m of batch) {
      const { entry, queueOffset } = this.append({ ...m, topic, queueId }, now);
      if (first < 0) { first = queueOffset; firstPhy = entry.phy; }
      bytes += entry.size;
      ids.push(offsetMsgId(this.storeHost, entry.phy));
    }
    this.notify(topic, queueId);
    return { status: 'PUT_OK', wroteOffset: firstPhy, wroteBytes: bytes, queueOffset: first, msgId: ids[0]!, storeTimestamp: now, msgNum: batch.length, msgIds: ids };
  }

  getMessage(_group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, maxTotalBytes: number, filter?: MessageFilter | null): GetResult {
    this.getMessageCalls++;
    const q = this.q(topic, queueId);
    const empty = (status: GetResult['status'], next: number, min = 0, max = 0): GetResult =>
      ({ status, nextBeginOffset: next, minOffset: min, maxOffset: max, buffers: [], messageCount: 0, bufferTotalSize: 0 });
    if (!q) return empty('NO_MATCHED_LOGIC_QUEUE', 0);
    const min = 0; const max = q.length;
    if (max === 0) return empty('NO_MESSAGE_IN_QUEUE', 0, min, max);
    if (offset < min) return empty('OFFSET_TOO_SMALL', min, min, max);
    if (offset === max) return empty('OFFSET_OVERFLOW_ONE', offset, min, max);
    if (offset > max) return empty('OFFSET_OVERFLOW_BADLY', min === 0 ? min : max, min, max);
    const buffers: Buffer[] = [];
    let bytes = 0; let i = offset;
    for (; i < max && buffers.length < maxMsgNums; i++) {
      const e = q[i]!;
      if (bytes > 0 && bytes + e.size > maxTotalBytes) break;
      if (filter && !filter.matchByConsumeQueue(e.tagsCode)) continue;
      if (filter?.matchByCommitLog && !filter.matchByCommitLog(e.record)) continue;
      buffers.push(e.record);
      bytes += e.size;
    }
    if (buffers.length === 0) return empty('NO_MATCHED_MESSAGE', i, min, max);
    return { status: 'FOUND', nextBeginOffset: i, minOffset: min, maxOffset: max, buffers, messageCount: buffers.length, bufferTotalSize: bytes };
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number { return this.q(topic, queueId)?.length ?? 0; }
  getMinOffsetInQueue(): number { return 0; }
  getOffsetInQueueByTime(topic: string, queueId: number, ts: number): number {
    const q = this.q(topic, queueId) ?? [];
    const i = q.findIndex((e) => e.storeTs >= ts);
    return i < 0 ? q.length : i;
  }
  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number { return this.q(topic, queueId)?.[cqOffset]?.phy ?? -1; }
  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number { return this.q(topic, queueId)?.[cqOffset]?.storeTs ?? -1; }
  getEarliestMessageTime(topic: string, queueId: number): number { return this.q(topic, queueId)?.[0]?.storeTs ?? -1; }
  lookMessageByOffset(off: number): Buffer | null { return this.byPhy.get(off)?.record ?? null; }
  queryMessage(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): QueryResult {
    const buffers: Buffer[] = [];
    for (const [k, q] of this.queues) {
      if (!k.startsWith(topic + '/')) continue;
      for (const e of q) {
        if (buffers.length < maxNum && e.keys.includes(key) && e.storeTs >= beginMs && e.storeTs <= endMs) buffers.push(e.record);
      }
    }
    return { buffers, indexLastUpdateTimestamp: this.indexLastUpdateTimestamp, indexLastUpdatePhyoffset: this.phyNext };
  }
  onNewMessage(cb: NewMessageListener): void { this.listeners.push(cb); }
  getMaxPhyOffset(): number { return this.phyNext; }
  getMinPhyOffset(): number { return 0; }
  dispatchBehindBytes(): number { return 0; }
  isWritable(): boolean { return true; }
  topicNames(): string[] { return [...new Set([...this.queues.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))]; }
  deleteTopics(topics: string[]): void { this.deleted.push(topics); }
  cleanExpiredConsumeQueues(): void { this.cleaned++; }
  runtimeInfo(): Record<string, string> { return {}; }
  async shutdown(): Promise<void> {}
}
