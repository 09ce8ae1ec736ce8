// An in-memory MessageStore with the @rmq/store contract (V1 records, per-queue offsets, GetStatus
// semantics of Apache's DefaultMessageStore.getMessage, dispatch notifications on a later turn).
// Broker unit tests use it to pin processor behaviour without disk or worker threads.

import type { GetResult, MessageFilter, MessageInner, MessageStore, PutResult, StoreConfig } from '@rmq/store';
import { offsetMsgId } from '../../src/common/record.js';
import { tagsCodeOf } from '../../src/common/properties.js';

interface Entry { phyOffset: number; size: number; tagsCode: number; record: Buffer; storeTimestamp: number }

function ipBytes(ip: string): number[] {
  return ip.split('.').map((x) => Number(x) & 0xff);
}

export function encodeRecord(m: MessageInner, queueOffset: number, phyOffset: number, storeTimestamp: number, storeHost: { ip: string; port: number }): Buffer {
  const topic = Buffer.from(m.topic);
  const props = Buffer.from(m.properties);
  const size = 91 + m.body.length + topic.length + props.length;
  const b = Buffer.alloc(size);
  let p = 0;
  b.writeInt32BE(size, p); p += 4;
  b.writeInt32BE(0xdaa320a7 | 0, p); p += 4;
  b.writeInt32BE(0, p); p += 4;
  b.writeInt32BE(m.queueId, p); p += 4;
  b.writeInt32BE(m.flag, p); p += 4;
  b.writeBigInt64BE(BigInt(queueOffset), p); p += 8;
  b.writeBigInt64BE(BigInt(phyOffset), p); p += 8;
  b.writeInt32BE(m.sysFlag, p); p += 4;
  b.writeBigInt64BE(BigInt(m.bornTimestamp), p); p += 8;
  for (const x of ipBytes(m.bornHost.ip)) b[p++] = x;
  b.writeInt32BE(m.bornHost.port, p); p += 4;
  b.writeBigInt64BE(BigInt(storeTimestamp), p); p += 8;
  for (const x of ipBytes(storeHost.ip)) b[p++] = x;
  b.writeInt32BE(storeHost.port, p); p += 4;
  b.writeInt32BE(m.reconsumeTimes, p); p += 4;
  b.writeBigInt64BE(BigInt(m.preparedTransactionOffset), p); p += 8;
  b.writeInt32BE(m.body.length, p); p += 4;
  m.body.copy(b, p); p += m.body.length;
  b[p++] = topic.length;
  topic.copy(b, p); p += topic.length;
  b.writeInt16BE(props.length, p); p += 2;
  props.copy(b, p);
  return b;
}

export class MemoryStore {
  readonly queues = new Map<string, Entry[]>();
  readonly byPhy = new Map<number, Buffer>();
  private phy = 0;
  private listeners: Array<(topic: string, queueId: number, maxOffset: number) => void> = [];
  getMessageCalls = 0;

  constructor(private readonly config: StoreConfig) {}

  static async open(config: StoreConfig): Promise<MessageStore> {
    return new MemoryStore(config) as unknown as MessageStore;
  }

  private q(topic: string, queueId: number, create = false): Entry[] | undefined {
    const k = `${topic}@${queueId}`;
    let e = this.queues.get(k);
    if (!e && create) { e = []; this.queues.set(k, e); }
    return e;
  }

  private append(m: MessageInner, now: number): { entry: Entry; queueOffset: number } {
    const q = this.q(m.topic, m.queueId, true)!;
    const queueOffset = q.length;
    const record = encodeRecord(m, queueOffset, this.phy, now, this.config.storeHost);
    const entry = { phyOffset: this.phy, size: record.length, tagsCode: m.tagsCode ?? tagsCodeOf(m.properties), record, storeTimestamp: now };
    q.push(entry);
    this.byPhy.set(this.phy, record);
    this.phy += record.length;
    return { entry, queueOffset };
  }

  private notify(topic: string, queueId: number): void {
    const max = this.q(topic, queueId)?.length ?? 0;
    setImmediate(() => { for (const l of this.listeners) l(topic, queueId, max); });
  }

  async putMessage(m: MessageInner): Promise<PutResult> {
    const now = Date.now();
    const { entry, queueOffset } = this.append(m, now);
    this.notify(m.topic, m.queueId);
    return { status: 'PUT_OK', wroteOffset: entry.phyOffset, wroteBytes: entry.size, queueOffset,
      msgId: offsetMsgId(this.config.storeHost, entry.phyOffset), storeTimestamp: now, msgNum: 1 };
  }

  async putMessages(topic: string, queueId: number, batch: MessageInner[]): Promise<PutResult> {
    const now = Date.now();
    const ids: string[] = [];
    let first = -1; let firstPhy = -1; let bytes = 0;
    for (const m of batch) {
      const { entry, queueOffset } = this.append({ ...m, topic, queueId }, now);
      if (first < 0) { first = queueOffset; firstPhy = entry.phyOffset; }
      bytes += entry.size;
      ids.push(offsetMsgId(this.config.storeHost, entry.phyOffset));
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
    const i = q.findIndex((e) => e.storeTimestamp >= ts);
    return i < 0 ? q.length : i;
  }
  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number { return this.q(topic, queueId)?.[cqOffset]?.phyOffset ?? -1; }
  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number { return this.q(topic, queueId)?.[cqOffset]?.storeTimestamp ?? -1; }
  getEarliestMessageTime(topic: string, queueId: number): number { return this.q(topic, queueId)?.[0]?.storeTimestamp ?? -1; }
  lookMessageByOffset(off: number): Buffer | null { return this.byPhy.get(off) ?? null; }
  queryMessage(): { buffers: Buffer[]; indexLastUpdateTimestamp: number; indexLastUpdatePhyoffset: number } { return { buffers: [], indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 }; }
  onNewMessage(cb: (topic: string, queueId: number, maxOffset: number) => void): void { this.listeners.push(cb); }
  getMaxPhyOffset(): number { return this.phy; }
  getMinPhyOffset(): number { return 0; }
  dispatchBehindBytes(): number { return 0; }
  deleteTopics(): void {}
  cleanExpiredConsumeQueues(): void {}
  isWritable(): boolean { return true; }
  runtimeInfo(): Record<string, string> { return {}; }
  async shutdown(): Promise<void> {}
}
