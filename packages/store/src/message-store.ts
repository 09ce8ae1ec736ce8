// DefaultMessageStore: the disk store, a facade over named services (as Apache's DefaultMessageStore):
//   store-core.ts      shared state: commit log, topic -> ConsumeQueue table, index files, positions
//   (append)           here: validates and encodes records into the commit log's shared pages
//   flush-service.ts   group commit through the FLUSH pool; ConsumeQueue/IndexFile flush + checkpoint
//   position-waiters.ts sends waiting for ack sources ('flush', later replication) to pass their end
//   reput-service.ts   ConsumeQueue entries + listeners on the main thread, IndexFile via DISPATCH pool
//   recovery.ts        open: scan from the checkpoint, rebuild queue/index entries, truncate the tail
//   clean-service.ts   retention: expired commit log files, queue/index files below them, topics
//   read-service.ts    pulls, offsets by time, lookups by offset and key
// Invariants: nothing is visible to readers or acknowledged before it is handed to the OS; under
// SYNC_FLUSH nothing is acknowledged before it is on disk; after a write error the store refuses
// writes and keeps serving what was committed; after ENOSPC (disk-full.ts) the unwritten appends are
// rolled back and writes resume by themselves once space is freed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreIOError } from './commit-log.js';
import { InvariantError, invariant } from './invariant.js';
import type { StoreConfig } from './config.js';
import { copyBytes, copyWithCrc, nativeLoaded } from './fsio.js';
import { acquireStoreLock, type StoreLock } from './store-lock.js';
import { bodyCrc, encodeRecord, hostHex, offsetMsgId, recordSize, SysFlag, type RecordFields } from './record.js';
import {
  failed, type GetResult, type Logger, type MessageFilter, type MessageInner, type MessageStore as MessageStoreApi, type NewMessageListener,
  type PutResult, type QueryResult, type StoreTestHooks,
} from './store-api.js';
import { MAX_PROPERTIES_BYTES, MAX_TOPIC_BYTES, StoreCore } from './store-core.js';
import { PositionWaiters } from './position-waiters.js';
import { FLUSH_SOURCE, FlushService } from './flush-service.js';
import { ReputService } from './reput-service.js';
import { recoverStore } from './recovery.js';
import { CleanService } from './clean-service.js';
import { ReadService } from './read-service.js';
import { StoreReplication } from './replication.js';
import { DISK_FULL_PROBE_INTERVAL_MS, DiskFullService } from './disk-full.js';

/** Logs warnings and errors to the console, drops debug and info. */
const consoleWarnLogger: Logger = {
  debug() {}, info() {},
  warn(m, ...a) { console.warn(`[store] ${m}`, ...a); },
  error(m, ...a) { console.error(`[store] ${m}`, ...a); },
};

let addonLogged = false;

export class DefaultMessageStore implements MessageStoreApi {
  readonly config: StoreConfig;
  /**
   * Sends waiting to be acknowledged. The flush service feeds the 'flush' source; replication may
   * add its own source (addSource), fed with a slave's acked offset, and sends then wait for both.
   */
  readonly waiters = new PositionWaiters(() => this.core.commitLog.writePos);
  private readonly core: StoreCore;
  private readonly flush: FlushService;
  private readonly reput: ReputService;
  private readonly clean: CleanService;
  private readonly read: ReadService;
  private readonly diskFull: DiskFullService;
  private readonly hostHex: string;
  private readonly fields: RecordFields;
  /** Held from open() to the end of shutdown(): one process per store directory. */
  private lock: StoreLock | null = null;
  private timers: NodeJS.Timeout[] = [];
  private replicationPort: StoreReplication | null = null;

  private constructor(config: StoreConfig, logger: Logger) {
    this.config = config;
    this.core = new StoreCore(config, logger);
    this.reput = new ReputService(this.core, (why) => this.flush.fail(why));
    this.flush = new FlushService(this.core, this.waiters, () => { this.reput.dispatch(); this.replicationPort?.advanced(); }, () => this.reput.indexInFlight);
    this.clean = new CleanService(this.core);
    this.read = new ReadService(this.core);
    this.diskFull = new DiskFullService(this.core, this.waiters, () => this.flush.resume());
    this.flush.onWriteEnospc = (why) => this.diskFull.enter(why);
    this.hostHex = hostHex(config.storeHost);
    this.fields = {
      topicBytes: Buffer.alloc(0), queueId: 0, flag: 0, body: Buffer.alloc(0), properties: '', propertiesLength: 0,
      sysFlag: 0, bornTimestamp: 0, bornHost: { ip: '0.0.0.0', port: 0 }, reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: 0,
    };
  }

  /** Opens (creating or recovering) the store under config.storePathRootDir. */
  static async open(config: StoreConfig, logger: Logger = consoleWarnLogger): Promise<DefaultMessageStore> {
    const s = new DefaultMessageStore(config, logger);
    if (!addonLogged) {
      addonLogged = true;
      if (nativeLoaded) logger.info('native addon loaded: fdatasync/fallocate/fadvise via N-API');
      else logger.warn('native addon not loaded: falling back to node:fs (no fallocate, no fadvise)');
    }
    s.lock = acquireStoreLock(s.core.root);
    try {
      recoverStore(s.core, s.reput);
      await s.start();
    } catch (e) {
      s.lock.release();
      throw e;
    }
    return s;
  }

  get testHooks(): StoreTestHooks { return this.core.testHooks; }

  /** Byte-level replication API (replication.ts), for the broker's HA services. */
  replication(): StoreReplication { return this.replicationPort ??= new StoreReplication(this.core, this.flush); }

  // ---------------------------------------------------------------- lifecycle

  private async start(): Promise<void> {
    const cfg = this.config;
    this.waiters.addSource(FLUSH_SOURCE, this.flush.ackPosition(), 'FLUSH_DISK_TIMEOUT');
    await this.flush.start();
    this.reput.start();
    const t = (ms: number, fn: () => void) => { const h = setInterval(fn, ms); h.unref(); this.timers.push(h); };
    if (cfg.flushDiskType === 'ASYNC_FLUSH') t(Math.max(1, cfg.flushIntervalCommitLog), () => this.flush.requestSync());
    t(Math.max(10, cfg.flushIntervalConsumeQueue), () => { void this.flush.flushLogic(true); });
    t(Math.max(20, Math.min(500, cfg.syncFlushTimeout / 4)), () => this.waiters.expire(Date.now()));
    t(DISK_FULL_PROBE_INTERVAL_MS, () => { if (this.core.diskFull) this.diskFull.probe(); });
    t(10000, () => { try { this.clean.deleteExpiredFiles(); } catch (e) { this.core.log.error(`retention: ${(e as Error).message}`); } });
  }

  async shutdown(): Promise<void> {
    const core = this.core;
    if (core.closing) return;
    core.closing = true;
    for (const h of this.timers) clearInterval(h);
    this.timers = [];
    // drain: the commit log to disk, then the logic files and the checkpoint
    await this.flush.drainToDisk();
    await this.reput.drain();
    await this.flush.logicFlushSettled();
    await this.flush.flushLogic();
    this.waiters.failAll('SERVICE_NOT_AVAILABLE', 'store shut down');
    this.flush.stop();
    this.reput.stop();
    core.commitLog.close();
    for (const f of core.indexFiles) f.close();
    if (core.writable) fs.rmSync(path.join(core.root, 'abort'), { force: true });
    this.lock?.release();
    this.lock = null;
  }

  // ---------------------------------------------------------------- append

  /** Validates and encodes one message; returns its PutResult (not yet durable) or a failure. */
  private appendOne(msg: MessageInner, phyHint: number): PutResult {
    const core = this.core;
    const cl = core.commitLog;
    const t = core.topicEntry(msg.topic);
    if (t.bytes.length === 0 || t.bytes.length > MAX_TOPIC_BYTES) return failed('MESSAGE_ILLEGAL', 'topic length must be 1..127 bytes');
    if (!(msg.queueId >= 0 && msg.queueId < 65536)) return failed('MESSAGE_ILLEGAL', `bad queueId ${msg.queueId}`);
    const props = msg.properties ?? '';
    const propsLen = Buffer.byteLength(props, 'utf8');
    if (propsLen > MAX_PROPERTIES_BYTES) return failed('PROPERTIES_SIZE_EXCEEDED', `properties are ${propsLen} bytes`);
    const sysFlag = msg.sysFlag | 0;
    const size = recordSize(sysFlag, msg.body.length, t.bytes.length, propsLen);
    if (msg.body.length > this.config.maxMessageSize || size + 8 > cl.fileSize) return failed('MESSAGE_ILLEGAL', `message of ${size} bytes is too large`);
    const tran = sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE;
    const toQueue = tran === SysFlag.TRANSACTION_NOT_TYPE || tran === SysFlag.TRANSACTION_COMMIT_TYPE;
    const cq = core.queue(msg.topic, msg.queueId);
    const queueOffset = toQueue ? cq.nextOffset : 0;
    invariant(queueOffset >= cq.maxOffset, 'a queue offset is assigned past the entries written', 'queueOffset,maxOffset', queueOffset, cq.maxOffset);
    const phy = phyHint >= 0 ? phyHint : cl.prepare(size);
    const storeTs = Date.now();
    const f = this.fields;
    f.topicBytes = t.bytes; f.queueId = msg.queueId; f.flag = msg.flag; f.body = msg.body; f.properties = props;
    f.propertiesLength = propsLen; f.sysFlag = sysFlag; f.bornTimestamp = msg.bornTimestamp; f.bornHost = msg.bornHost;
    f.reconsumeTimes = msg.reconsumeTimes; f.preparedTransactionOffset = msg.preparedTransactionOffset;
    f.bodyCRC = copyWithCrc === null ? bodyCrc(msg.body) : 0; // else computed while copying
    cl.target(phy, size);
    encodeRecord(cl.tBuf, cl.tPos, size, f, queueOffset, phy, storeTs, this.config.storeHost, cl.tDv, copyBytes, copyWithCrc);
    cl.finish(phy, size);
    if (toQueue) cq.nextOffset++;
    const tagsCode = msg.tagsCode ?? core.tagsCodeOf(msg.topic, props, storeTs);
    core.ring.push(toQueue ? core.cqId(cq) : -1, queueOffset, phy, size, tagsCode, storeTs, sysFlag);
    core.lastStoreTs.append = storeTs;
    core.stats.putMessages++;
    return { status: 'PUT_OK', wroteOffset: phy, wroteBytes: size, queueOffset, msgId: offsetMsgId(this.hostHex, phy), storeTimestamp: storeTs, msgNum: 1 };
  }

  private refuse(): PutResult | null {
    const core = this.core;
    if (core.closing) return failed('SERVICE_NOT_AVAILABLE', 'store is shutting down');
    if (core.diskFull && !this.diskFull.onRefused(Date.now())) return failed('SERVICE_NOT_AVAILABLE', `store is not writable: ${core.lastError}`);
    if (!core.writable) return failed('SERVICE_NOT_AVAILABLE', `store is not writable: ${core.lastError}`);
    if (core.readOnlyReason !== null) return failed('SERVICE_NOT_AVAILABLE', core.readOnlyReason);
    return null;
  }

  /** A put that threw: an I/O error (disk full or not) or a write-path invariant; else rethrown. */
  private ioFailure(e: unknown): PutResult {
    if (e instanceof InvariantError) {
      // nothing more reaches the disk: the append stopped before its bytes counted, writes stop
      this.flush.fail(e.message);
      return failed('UNKNOWN_ERROR', e.message);
    }
    if (e instanceof StoreIOError && e.code === 'ENOSPC') {
      this.diskFull.enter(`ENOSPC: ${e.message}`);
      return failed('SERVICE_NOT_AVAILABLE', `disk full: ${e.message}`);
    }
    if (e instanceof StoreIOError) {
      this.core.markUnwritable(`${e.code}: ${e.message}`);
      return failed('SERVICE_NOT_AVAILABLE', e.message);
    }
    throw e;
  }

  putMessage(msg: MessageInner): Promise<PutResult> {
    const r = this.appendSingle(msg);
    if (r.status !== 'PUT_OK') return Promise.resolve(r);
    return this.afterAppend(r, r.wroteOffset + r.wroteBytes);
  }

  putMessageThen<A>(msg: MessageInner, done: (r: PutResult, arg: A) => void, arg: A): void {
    const r = this.appendSingle(msg);
    if (r.status !== 'PUT_OK') { done(r, arg); return; }
    this.flush.schedule();
    this.waiters.waitThen(r.wroteOffset + r.wroteBytes, r, this.ackDeadline(), done, arg);
  }

  /** The synchronous part of a single put: the appended record (PUT_OK, not yet acknowledged) or the failure to answer. */
  private appendSingle(msg: MessageInner): PutResult {
    const refused = this.refuse();
    if (refused) return refused;
    try {
      if (this.core.testHooks.failFileCreate) this.checkCreateHook(msg);
      return this.appendOne(msg, -1);
    } catch (e) { return this.ioFailure(e); }
  }

  putMessages(topic: string, queueId: number, batch: MessageInner[]): Promise<PutResult> {
    const refused = this.refuse();
    if (refused) return Promise.resolve(refused);
    if (batch.length === 0) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'empty batch'));
    const core = this.core;
    const t = core.topicEntry(topic);
    let total = 0;
    for (const m of batch) {
      if (m.topic !== topic || m.queueId !== queueId) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'a batch goes to one queue'));
      total += recordSize(m.sysFlag | 0, m.body.length, t.bytes.length, Buffer.byteLength(m.properties ?? '', 'utf8'));
    }
    if (total + 8 > core.commitLog.fileSize) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'batch larger than a commit log file'));
    try {
      let phy = core.commitLog.prepare(total);
      const ids: string[] = [];
      let first: PutResult | null = null;
      for (const m of batch) {
        const r = this.appendOne(m, phy);
        if (r.status !== 'PUT_OK') {
          // validation failed midway: earlier records stay (they are whole); report the failure
          if (first === null) return Promise.resolve(r);
          core.log.warn(`batch for ${topic}/${queueId} stopped at message ${ids.length}: ${r.error}`);
          break;
        }
        if (first === null) first = r;
        ids.push(r.msgId);
        phy += r.wroteBytes;
      }
      const res: PutResult = { ...first!, wroteBytes: phy - first!.wroteOffset, msgNum: ids.length, msgIds: ids, msgId: ids.join(',') };
      return this.afterAppend(res, phy);
    } catch (e) { return Promise.resolve(this.ioFailure(e)); }
  }

  private checkCreateHook(msg: MessageInner): void {
    const cl = this.core.commitLog;
    const size = recordSize(msg.sysFlag | 0, msg.body.length, Buffer.byteLength(msg.topic), Buffer.byteLength(msg.properties ?? ''));
    const file = cl.fileFor(cl.writePos);
    if (file === undefined || file.from + cl.fileSize - cl.writePos < size + 8) {
      const code = this.core.testHooks.failFileCreate!;
      throw new StoreIOError(`${code}: injected failure creating a commit log file`, code);
    }
  }

  /**
   * The put resolves under SYNC_FLUSH once its bytes are on disk, under ASYNC_FLUSH once they are
   * handed to the OS (written to the file): a process kill then loses nothing acknowledged, as with
   * Apache's mmap'ed commit log. Before that they exist only in this process's shared pages.
   */
  private afterAppend(r: PutResult, end: number): Promise<PutResult> {
    this.flush.schedule();
    return this.waiters.wait(end, r, this.ackDeadline());
  }

  /** When a put appended now stops waiting for its acknowledgement (then a timeout status). */
  private ackDeadline(): number { return Date.now() + this.config.syncFlushTimeout; }

  /** Writes dirty ConsumeQueue/IndexFile pages, syncs them, then the checkpoint that vouches for them. */
  flushLogic(): Promise<void> { return this.flush.flushLogic(); }

  // ---------------------------------------------------------------- read (read-service.ts)

  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number,
    maxTotalBytes: number, filter?: MessageFilter | null, pooled = false): GetResult {
    void group;
    return this.read.getMessage(topic, queueId, offset, maxMsgNums, maxTotalBytes, filter, pooled);
  }
  getMaxOffsetInQueue(topic: string, queueId: number): number { return this.read.getMaxOffsetInQueue(topic, queueId); }
  getMinOffsetInQueue(topic: string, queueId: number): number { return this.read.getMinOffsetInQueue(topic, queueId); }
  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number { return this.read.getCommitLogOffsetInQueue(topic, queueId, cqOffset); }
  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number { return this.read.getMessageStoreTimeStamp(topic, queueId, cqOffset); }
  getEarliestMessageTime(topic: string, queueId: number): number { return this.read.getEarliestMessageTime(topic, queueId); }
  getOffsetInQueueByTime(topic: string, queueId: number, timestampMs: number): number { return this.read.getOffsetInQueueByTime(topic, queueId, timestampMs); }
  lookMessageByOffset(commitLogOffset: number, size?: number): Buffer | null { return this.read.lookMessageByOffset(commitLogOffset, size); }
  queryMessage(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): QueryResult { return this.read.queryMessage(topic, key, maxNum, beginMs, endMs); }

  onNewMessage(cb: NewMessageListener): void { this.reput.onNewMessage(cb); }

  getMaxPhyOffset(): number { return this.core.commitLog.writePos; }
  getMinPhyOffset(): number { return this.core.commitLog.minOffset; }
  /** Commit log offset handed to the OS (what a slave may be sent). */
  getCommittedPhyOffset(): number { return this.core.commitLog.committedPos; }
  /** Commit log offset on disk. */
  getFlushedPhyOffset(): number { return this.core.commitLog.flushedPos; }
  dispatchBehindBytes(): number { return this.core.commitLog.writePos - this.core.dispatchedPos; }
  isWritable(): boolean { return this.core.writable && !this.core.closing; }

  /** Topics known to the store (those with consume queues). */
  topicNames(): string[] { return [...this.core.topics.keys()]; }

  // ---------------------------------------------------------------- retention (clean-service.ts)

  deleteTopics(topics: string[]): void { this.clean.deleteTopics(topics); }
  cleanExpiredConsumeQueues(): void { this.clean.cleanExpiredConsumeQueues(); }
  deleteExpiredFiles(nowMs = Date.now(), force = false): number { return this.clean.deleteExpiredFiles(nowMs, force); }

  runtimeInfo(): Record<string, string> {
    const core = this.core;
    const cl = core.commitLog;
    const st = core.stats;
    return {
      commitLogMinOffset: String(cl.minOffset),
      commitLogMaxOffset: String(cl.writePos),
      commitLogCommittedOffset: String(cl.committedPos),
      commitLogFlushedOffset: String(cl.flushedPos),
      dispatchBehindBytes: String(this.dispatchBehindBytes()),
      indexBehindBytes: String(core.dispatchedPos - core.indexedPos),
      commitLogFiles: String(cl.files.length),
      consumeQueues: String(core.cqs.filter(Boolean).length),
      indexFiles: String(core.indexFiles.length),
      pageCacheResidentBytes: String(cl.cache.residentBytes),
      pageCacheBytesMax: String(cl.cache.bytesMax),
      pageCacheEvictions: String(cl.cache.evictions),
      pageCacheDiskLoads: String(cl.cache.loads),
      pageCacheFreshPages: String(cl.cache.fresh),
      pageCacheFreshAheadPages: String(cl.cache.freshAhead),
      pageCacheRecycledPages: String(cl.cache.recycled),
      consumeQueueCacheBytes: String(core.cqs.reduce((n, cq) => n + (cq ? cq.residentBytes() : 0), 0)),
      indexCacheBytes: String(core.indexFiles.reduce((n, f) => n + f.residentBytes(), 0)),
      pullBodySlabs: String(this.read.bodyPool.slabsAllocated),
      pullBodyLeases: String(this.read.bodyPool.outstanding),
      flushDiskType: this.config.flushDiskType,
      flushTasks: String(st.flushTasks),
      fdatasyncCount: String(st.syncs),
      fdatasyncAvgMs: st.syncs > 0 ? (st.syncMsTotal / st.syncs).toFixed(3) : '0',
      putMessageTimesTotal: String(st.putMessages),
      nativeAddon: nativeLoaded ? 'loaded' : 'fallback',
      writable: String(this.isWritable()),
      lastError: core.lastError ?? '',
      diskUsedRatio: this.clean.diskUsedRatio().toFixed(1),
    };
  }
}

/** The store contract (store-api.ts); as a value, MessageStore.open opens the disk store. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MessageStore extends MessageStoreApi {}
export const MessageStore = {
  open(config: StoreConfig, logger?: Logger): Promise<DefaultMessageStore> { return DefaultMessageStore.open(config, logger); },
};
