// StoreCore: the state the store's services share (one instance per store). It owns no behaviour
// beyond bookkeeping: the commit log, the topic -> ConsumeQueue table, the index files, the dispatch
// ring of appended-not-yet-dispatched records, the positions and the control SAB that publishes them
// to the workers. The services (flush-service, reput-service, recovery, clean-service, read-service)
// and the facade (message-store.ts) work on it.
// Positions: commitLog.writePos >= committedPos (handed to the OS) >= flushedPos (on disk);
// committedPos >= dispatchedPos (ConsumeQueue entries written) >= indexedPos (IndexFile entries).
import * as path from 'node:path';
import { CommitLog } from './commit-log.js';
import { ConsumeQueue } from './consume-queue.js';
import type { IndexFile } from './index-file.js';
import { DispatchRing } from './dispatch-ring.js';
import { CHECKPOINT_SIZE, fillCheckpoint } from './checkpoint.js';
import type { StoreConfig } from './config.js';
import type { WriteOp } from './flush-types.js';
import { getProperty, javaHashCode, parseDelayLevels } from './record.js';
import type { Logger, StoreTestHooks } from './store-api.js';

export const MAX_TOPIC_BYTES = 127;
export const MAX_PROPERTIES_BYTES = 32767;
// control SAB slots (BigInt64)
export const CTL_WRITE = 0, CTL_COMMITTED = 1, CTL_FLUSHED = 2, CTL_DISPATCHED = 3;

export interface TopicEntry { name: string; bytes: Buffer; queues: (ConsumeQueue | undefined)[] }

export class StoreCore {
  readonly config: StoreConfig;
  readonly log: Logger;
  readonly root: string;
  readonly commitLog: CommitLog;
  readonly maxRecordBytes: number;
  readonly topics = new Map<string, TopicEntry>();
  /** every ConsumeQueue by its id (undefined once deleted) */
  cqs: (ConsumeQueue | undefined)[] = [];
  indexFiles: IndexFile[] = [];
  readonly ring = new DispatchRing();
  readonly control = new SharedArrayBuffer(8 * 8);
  readonly ctl = new BigInt64Array(this.control);
  readonly checkpointSab = new SharedArrayBuffer(CHECKPOINT_SIZE);
  readonly delayLevels: number[];
  readonly entryScratch = new Float64Array(3);
  readonly testHooks: StoreTestHooks = { failNextWrite: null, failFileCreate: null, flushDelayMs: 0, failProbe: null };
  readonly stats = { putMessages: 0, flushTasks: 0, syncs: 0, syncMsTotal: 0 };

  /** commit log offset up to which ConsumeQueue entries are written (<= committedPos) */
  dispatchedPos = 0;
  /** commit log offset up to which IndexFile entries are built (<= dispatchedPos) */
  indexedPos = 0;
  /** Store timestamp of the last record appended, handed to the OS (committed), flushed and dispatched. */
  readonly lastStoreTs = { append: 0, committed: 0, flushed: 0, dispatched: 0 };
  writable = true;
  lastError: string | null = null;
  /**
   * Unwritable because the disk was full (ENOSPC writing the commit log): the unwritten appends were
   * rolled back and the store probes for space (disk-full.ts) to become writable again by itself.
   */
  diskFull = false;
  /** [from, to) of the commit log a failed write may have left bytes in, not yet zeroed */
  pendingZero: { from: number; to: number } | null = null;
  closing = false;
  /** set on a slave (replication writes its log): ordinary puts are refused with this reason */
  readOnlyReason: string | null = null;
  /** commit log files deleted by retention whose cached descriptors the flush / dispatch workers close */
  pendingClosePaths: string[] = [];
  indexClosePaths: string[] = [];

  constructor(config: StoreConfig, logger: Logger) {
    this.config = config;
    this.log = logger;
    this.root = config.storePathRootDir;
    this.maxRecordBytes = config.maxMessageSize + MAX_PROPERTIES_BYTES + MAX_TOPIC_BYTES + 256;
    const clDir = config.storePathCommitLog ?? path.join(this.root, 'commitlog');
    this.commitLog = new CommitLog(clDir, config.mappedFileSizeCommitLog, config.pageCacheChunkBytes,
      config.pageCacheBytesMax, this.maxRecordBytes);
    this.delayLevels = parseDelayLevels(config.messageDelayLevel);
  }

  topicEntry(topic: string): TopicEntry {
    let t = this.topics.get(topic);
    if (t === undefined) {
      t = { name: topic, bytes: Buffer.from(topic, 'utf8'), queues: [] };
      this.topics.set(topic, t);
    }
    return t;
  }

  /** The queue, created (empty, in memory) when new. */
  queue(topic: string, queueId: number): ConsumeQueue {
    const t = this.topicEntry(topic);
    let cq = t.queues[queueId];
    if (cq === undefined) {
      cq = new ConsumeQueue(this.root, topic, queueId, this.config.mappedFileSizeConsumeQueue);
      (cq as ConsumeQueue & { id: number }).id = this.cqs.length;
      this.cqs.push(cq);
      t.queues[queueId] = cq;
    }
    return cq;
  }

  /** The queue if it exists. */
  findQueue(topic: string, queueId: number): ConsumeQueue | undefined { return this.topics.get(topic)?.queues[queueId]; }

  cqId(cq: ConsumeQueue): number { return (cq as ConsumeQueue & { id: number }).id; }

  tagsCodeOf(topic: string, props: string, storeTs: number): number {
    if (topic === 'SCHEDULE_TOPIC_XXXX') {
      const level = Number(getProperty(props, 'DELAY') ?? 0);
      if (level > 0) {
        const ms = this.delayLevels[Math.min(level, this.delayLevels.length) - 1];
        return storeTs + (ms ?? 1000);
      }
    }
    const tags = getProperty(props, 'TAGS');
    return tags === null || tags.length === 0 ? 0 : javaHashCode(tags);
  }

  /** An I/O error other than a full disk: read-only until restart (also when the disk was full). */
  markUnwritable(why: string): void {
    if (this.writable || this.diskFull) this.log.error(`store is no longer writable: ${why}`);
    this.writable = false;
    this.diskFull = false;
    this.lastError = why;
  }

  /**
   * After a failed commit log write: drops every append not handed to the OS whole, i.e. the log
   * from committedPos on (the end of the last whole written record): the write position, the
   * dispatch ring entries, the queue offsets they took, the put counter. None of them was
   * acknowledged (their waiters get the failure). Returns how many records went.
   */
  rollbackUnwritten(): number {
    const cl = this.commitLog;
    const end = cl.committedPos;
    const oldEnd = cl.writePos;
    const ring = this.ring;
    const n = ring.truncateFrom(end, (i) => {
      const cqIdx = ring.cq[i];
      const cq = cqIdx >= 0 ? this.cqs[cqIdx] : undefined;
      // newest first: the last one set is the oldest rolled-back offset of that queue
      if (cq !== undefined && ring.queueOffset[i] < cq.nextOffset) cq.nextOffset = Math.max(cq.maxOffset, ring.queueOffset[i]);
    });
    this.stats.putMessages -= n;
    this.lastStoreTs.append = this.lastStoreTs.committed;
    const gone = cl.rollbackTo(end);
    for (const p of gone) { this.pendingClosePaths.push(p); this.indexClosePaths.push(p); }
    if (oldEnd > end) {
      const z = this.pendingZero;
      this.pendingZero = z === null ? { from: end, to: oldEnd } : { from: Math.min(z.from, end), to: Math.max(z.to, oldEnd) };
    }
    this.publishPositions();
    return n;
  }

  publishPositions(): void {
    Atomics.store(this.ctl, CTL_WRITE, BigInt(this.commitLog.writePos));
    Atomics.store(this.ctl, CTL_COMMITTED, BigInt(this.commitLog.committedPos));
    Atomics.store(this.ctl, CTL_FLUSHED, BigInt(this.commitLog.flushedPos));
    Atomics.store(this.ctl, CTL_DISPATCHED, BigInt(this.dispatchedPos));
  }

  takeClosePaths(): string[] | undefined {
    if (this.pendingClosePaths.length === 0) return undefined;
    const p = this.pendingClosePaths;
    this.pendingClosePaths = [];
    return p;
  }

  takeIndexClosePaths(): string[] | undefined {
    if (this.indexClosePaths.length === 0) return undefined;
    const p = this.indexClosePaths;
    this.indexClosePaths = [];
    return p;
  }

  /**
   * Dirty ConsumeQueue and IndexFile pages as write ops; queue files with fewer than leastPages dirty
   * pages are held back (ConsumeQueue.takeWriteOps). Returns the lowest commit log offset a held-back
   * entry points at (Infinity when none is held back).
   */
  collectLogicOps(ops: WriteOp[], leastPages = 0): number {
    let held = Infinity;
    for (const cq of this.cqs) {
      if (cq === undefined) continue;
      const h = cq.takeWriteOps(ops, leastPages);
      if (h < held) held = h;
      cq.trimMemory();
    }
    for (const f of this.indexFiles) f.takeWriteOps(ops);
    return held;
  }

  /** Fills sab (default: the store's checkpoint image) with the positions the logic files vouch for. */
  fillCheckpointImage(sab: SharedArrayBuffer = this.checkpointSab, logicPhyOffset = Math.min(this.dispatchedPos, this.indexedPos)): void {
    fillCheckpoint(sab, {
      physicMsgTimestamp: this.lastStoreTs.flushed, logicsMsgTimestamp: this.lastStoreTs.dispatched,
      indexMsgTimestamp: this.lastStoreTs.dispatched,
      ext: { flushedPhyOffset: this.commitLog.flushedPos, logicPhyOffset },
    });
  }

  checkpointOp(sab: SharedArrayBuffer = this.checkpointSab): WriteOp {
    return { path: path.join(this.root, 'checkpoint'), fileOffset: 0, sab, sabOffset: 0, length: CHECKPOINT_SIZE };
  }
}
