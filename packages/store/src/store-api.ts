// The store's public contract: the types a broker codes against and the MessageStore interface that
// the disk store (DefaultMessageStore) and the broker's test MemoryStore both implement.
import type { HostAddress } from './record.js';
import type { Releasable } from './body-pool.js';

export interface Logger { debug(msg: string, ...a: unknown[]): void; info(msg: string, ...a: unknown[]): void; warn(msg: string, ...a: unknown[]): void; error(msg: string, ...a: unknown[]): void }

export interface MessageInner {
  topic: string; queueId: number; flag: number; body: Buffer; properties: string;
  sysFlag: number; bornTimestamp: number; bornHost: HostAddress;
  reconsumeTimes: number; preparedTransactionOffset: number;
  tagsCode?: number;
}
export type PutStatus = 'PUT_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE' | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED' | 'SERVICE_NOT_AVAILABLE' | 'OS_PAGECACHE_BUSY' | 'UNKNOWN_ERROR';
export interface PutResult {
  status: PutStatus; wroteOffset: number; wroteBytes: number; queueOffset: number;
  msgId: string; storeTimestamp: number; msgNum: number; msgIds?: string[];
  /** why, when status is not PUT_OK */
  error?: string;
}
export type GetStatus = 'FOUND' | 'NO_MATCHED_MESSAGE' | 'MESSAGE_WAS_REMOVING' | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY' | 'OFFSET_OVERFLOW_ONE' | 'OFFSET_TOO_SMALL' | 'NO_MATCHED_LOGIC_QUEUE' | 'NO_MESSAGE_IN_QUEUE'
  /** a store invariant failed for the entry at nextBeginOffset (error says which): an error to answer */
  | 'INVARIANT_VIOLATED';
export interface MessageFilter { matchByConsumeQueue(tagsCode: number): boolean; matchByCommitLog?(record: Buffer): boolean }
export interface GetResult {
  status: GetStatus; nextBeginOffset: number; minOffset: number; maxOffset: number;
  buffers: Buffer[]; messageCount: number; bufferTotalSize: number;
  /**
   * A pooled read's (getMessage with pooled) hold on the memory of `buffers`: release it exactly once,
   * when nothing reads them any more; until then they stay as read. null: plain memory, nothing to do.
   */
  lease?: Releasable | null;
  /** why, when status is INVARIANT_VIOLATED */
  error?: string;
}
export interface QueryResult { buffers: Buffer[]; indexLastUpdateTimestamp: number; indexLastUpdatePhyoffset: number }
export type NewMessageListener = (topic: string, queueId: number, maxOffset: number) => void;

/** Test hooks: inject I/O failures without a full disk. */
export interface StoreTestHooks {
  failNextWrite: string | null; failFileCreate: string | null; flushDelayMs: number;
  /** while set, the disk-full probe fails with this code (the disk stays "full") */
  failProbe: string | null;
}

/** What the broker needs from a store (Apache's MessageStore, the part this broker uses). */
export interface MessageStore {
  /** Resolves once the record is where the flush mode (and any replication requirement) promises. */
  putMessage(msg: MessageInner): Promise<PutResult>;
  /**
   * putMessage without a promise (the broker's send path): done(result, arg) runs exactly once, when
   * putMessage's promise would resolve; synchronously inside this call when the put fails at once.
   */
  putMessageThen<A>(msg: MessageInner, done: (r: PutResult, arg: A) => void, arg: A): void;
  /** A batch to one queue: contiguous records, one result. */
  putMessages(topic: string, queueId: number, batch: MessageInner[]): Promise<PutResult>;
  /**
   * Up to maxMsgNums records of a queue from offset, copied into one buffer (result.buffers are views
   * of it). pooled: that buffer is leased from a reusable pool; the caller must release result.lease.
   */
  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number,
    maxTotalBytes: number, filter?: MessageFilter | null, pooled?: boolean): GetResult;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMinOffsetInQueue(topic: string, queueId: number): number;
  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number;
  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number;
  getEarliestMessageTime(topic: string, queueId: number): number;
  getOffsetInQueueByTime(topic: string, queueId: number, timestampMs: number): number;
  lookMessageByOffset(commitLogOffset: number, size?: number): Buffer | null;
  queryMessage(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): QueryResult;
  onNewMessage(cb: NewMessageListener): void;
  getMaxPhyOffset(): number;
  getMinPhyOffset(): number;
  dispatchBehindBytes(): number;
  isWritable(): boolean;
  topicNames(): string[];
  deleteTopics(topics: string[]): void;
  cleanExpiredConsumeQueues(): void;
  runtimeInfo(): Record<string, string>;
  /** Byte-level replication API (disk store only; HA master/slave). */
  replication?(): import('./replication.js').StoreReplication;
  shutdown(): Promise<void>;
}

export function failed(status: PutStatus, error?: string): PutResult {
  return { status, wroteOffset: -1, wroteBytes: 0, queueOffset: -1, msgId: '', storeTimestamp: 0, msgNum: 0, error };
}
