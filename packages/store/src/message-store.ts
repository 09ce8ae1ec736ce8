// MessageStore: the store API the broker codes against. The main thread assigns queue offsets and
// encodes records into shared commit log pages; the FLUSH pool writes them to disk (group commit).
// Once records reach the OS the main thread writes their 20-byte ConsumeQueue entries (everything
// they hold is known at append time, kept in the dispatch ring) and wakes onNewMessage listeners; the
// DISPATCH pool reads the same records from the shared pages and builds IndexFile entries.
// Invariants: nothing is visible to readers or acknowledged before it is handed to the OS; under
// SYNC_FLUSH nothing is acknowledged before it is on disk; after a write error the store refuses
// writes and keeps serving what was committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Piscina } from 'piscina';
import { CommitLog, StoreIOError } from './commit-log.js';
import { ConsumeQueue } from './consume-queue.js';
import { IndexFile } from './index-file.js';
import { DispatchRing } from './dispatch-ring.js';
import { CHECKPOINT_SIZE, fillCheckpoint, readCheckpoint } from './checkpoint.js';
import type { StoreConfig } from './config.js';
import type { FlushResult, FlushTask, WriteOp } from './flush-types.js';
import type { IndexResult, IndexTask } from './dispatch-types.js';
import { messageIndexKeys } from './index-core.js';
import flushInline from './flush-worker.js';
import { copyBytes, copyWithCrc, nativeLoaded } from './fsio.js';
import { acquireStoreLock, type StoreLock } from './store-lock.js';
import {
  BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE, SysFlag, bodyCrc, encodeRecord, getProperty, hostHex, javaHashCode,
  offsetMsgId, parseDelayLevels, readInt32, readInt64, recordLayout, recordSize, storeTimestampOffset,
  type HostAddress, type RecordFields,
} from './record.js';

export interface Logger { debug(msg: string, ...a: unknown[]): void; info(msg: string, ...a: unknown[]): void; warn(msg: string, ...a: unknown[]): void; error(msg: string, ...a: unknown[]): void }

export interface MessageInner {
  topic: string; queueId: number; flag: number; body: Buffer; properties: string;
  sysFlag: number; bornTimestamp: number; bornHost: HostAddress;
  reconsumeTimes: number; preparedTransactionOffset: number;
  tagsCode?: number;
}
export type PutStatus = 'PUT_OK' | 'FLUSH_DISK_TIMEOUT' | 'MESSAGE_ILLEGAL' | 'PROPERTIES_SIZE_EXCEEDED'
  | 'SERVICE_NOT_AVAILABLE' | 'OS_PAGECACHE_BUSY' | 'UNKNOWN_ERROR';
export interface PutResult {
  status: PutStatus; wroteOffset: number; wroteBytes: number; queueOffset: number;
  msgId: string; storeTimestamp: number; msgNum: number; msgIds?: string[];
  /** why, when status is not PUT_OK */
  error?: string;
}
export type GetStatus = 'FOUND' | 'NO_MATCHED_MESSAGE' | 'MESSAGE_WAS_REMOVING' | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY' | 'OFFSET_OVERFLOW_ONE' | 'OFFSET_TOO_SMALL' | 'NO_MATCHED_LOGIC_QUEUE' | 'NO_MESSAGE_IN_QUEUE';
export interface MessageFilter { matchByConsumeQueue(tagsCode: number): boolean; matchByCommitLog?(record: Buffer): boolean }
export interface GetResult {
  status: GetStatus; nextBeginOffset: number; minOffset: number; maxOffset: number;
  buffers: Buffer[]; messageCount: number; bufferTotalSize: number;
}
export interface QueryResult { buffers: Buffer[]; indexLastUpdateTimestamp: number; indexLastUpdatePhyoffset: number }

/** Test hooks: inject I/O failures without a full disk. */
export interface StoreTestHooks { failNextWrite: string | null; failFileCreate: string | null; flushDelayMs: number }

const MAX_TOPIC_BYTES = 127;
const MAX_PROPERTIES_BYTES = 32767;
const MAX_FILTER_ENTRIES = 16000;
const INDEX_TASK_BYTES_MAX = 8 * 1024 * 1024;
// control SAB slots (BigInt64)
const CTL_WRITE = 0, CTL_COMMITTED = 1, CTL_FLUSHED = 2, CTL_DISPATCHED = 3;

interface TopicEntry { name: string; bytes: Buffer; queues: (ConsumeQueue | undefined)[] }
interface FlushInFlight { target: number; sync: boolean; storeTs: number; result: FlushResult | null; done: Promise<void> }
interface Waiter { end: number; result: PutResult; resolve: (r: PutResult) => void; deadline: number }

const silentLogger: Logger = {
  debug() {}, info() {},
  warn(m, ...a) { console.warn(`[store] ${m}`, ...a); },
  error(m, ...a) { console.error(`[store] ${m}`, ...a); },
};

let addonLogged = false;

// One FLUSH pool per process, shared by the stores it opens. Idle workers do not keep the process
// alive. The worker is plain JS (flush-worker.js), so it starts without the TypeScript loader that
// tests run under: execArgv is cleared.
let sharedFlushPool: Piscina<FlushTask, FlushResult> | null = null;
function flushPool(): Piscina<FlushTask, FlushResult> {
  if (sharedFlushPool === null) {
    sharedFlushPool = new Piscina<FlushTask, FlushResult>({
      filename: new URL('./flush-worker.js', import.meta.url).href,
      minThreads: 1, maxThreads: 2, idleTimeout: 60000, concurrentTasksPerWorker: 1, execArgv: [],
    });
  }
  return sharedFlushPool;
}

// One DISPATCH pool per process (one thread: index entries are written in commit log order).
let sharedDispatchPool: Piscina<IndexTask, IndexResult> | null = null;
function dispatchPool(): Piscina<IndexTask, IndexResult> {
  if (sharedDispatchPool === null) {
    sharedDispatchPool = new Piscina<IndexTask, IndexResult>({
      filename: new URL('./dispatch-worker.js', import.meta.url).href,
      minThreads: 1, maxThreads: 1, idleTimeout: 60000, concurrentTasksPerWorker: 1, execArgv: [],
    });
  }
  return sharedDispatchPool;
}

function failed(status: PutStatus, error?: string): PutResult {
  return { status, wroteOffset: -1, wroteBytes: 0, queueOffset: -1, msgId: '', storeTimestamp: 0, msgNum: 0, error };
}

export class MessageStore {
  readonly config: StoreConfig;
  private readonly log: Logger;
  private readonly root: string;
  private readonly commitLog: CommitLog;
  private readonly maxRecordBytes: number;
  private readonly topics = new Map<string, TopicEntry>();
  private cqs: (ConsumeQueue | undefined)[] = [];
  private indexFiles: IndexFile[] = [];
  private readonly ring = new DispatchRing();
  private readonly control = new SharedArrayBuffer(8 * 8);
  private readonly ctl = new BigInt64Array(this.control);
  private readonly checkpointSab = new SharedArrayBuffer(CHECKPOINT_SIZE);
  private readonly hostHex: string;
  private readonly delayLevels: number[];
  private readonly fields: RecordFields;
  private pool: Piscina<FlushTask, FlushResult> | null = null;
  private indexPool: Piscina<IndexTask, IndexResult> | null = null;
  /** commit log offset up to which IndexFile entries are built (<= dispatchedPos) */
  private indexedPos = 0;
  private indexInFlight: Promise<void> | null = null;
  private readonly keyScratch: string[] = [];
  private waiters: Waiter[] = [];
  private waiterHead = 0;
  private listeners: ((topic: string, queueId: number, maxOffset: number) => void)[] = [];
  private touchedQueues: ConsumeQueue[] = [];
  private dispatchedPos = 0;
  private lastDispatchedStoreTs = 0;
  private lastCommittedStoreTs = 0;
  private lastFlushedStoreTs = 0;
  private lastAppendStoreTs = 0;
  private flushScheduled = false;
  private flushQueue: FlushInFlight[] = [];
  /** end of the bytes handed to flush tasks (>= committedPos) */
  private submittedPos = 0;
  private syncSubmittedPos = 0;
  private cqFlushInFlight: Promise<void> | null = null;
  private lastSyncMs = Date.now();
  private syncRequested = false;
  private writable = true;
  private lastError: string | null = null;
  private closing = false;
  /** Held from open() to the end of shutdown(): one process per store directory. */
  private lock: StoreLock | null = null;
  private timers: NodeJS.Timeout[] = [];
  private pendingClosePaths: string[] = [];
  private indexClosePaths: string[] = [];
  private readonly entryScratch = new Float64Array(3);
  /**
   * getMessage copies the records it serves here, then into one buffer per pull. Views over the
   * shared pages would pin them (a viewed page cannot be reused until its views are garbage): a
   * consumer reading a backlog then grew the process by every page its in-flight replies touched,
   * 1.3 GiB RSS against a 512 MiB cache. A 1 KiB copy costs about what the view object did.
   */
  private pullScratch: Buffer = Buffer.allocUnsafe(256 * 1024);
  readonly testHooks: StoreTestHooks = { failNextWrite: null, failFileCreate: null, flushDelayMs: 0 };
  private stats = { putMessages: 0, flushTasks: 0, syncs: 0, syncMsTotal: 0 };

  private constructor(config: StoreConfig, logger: Logger) {
    this.config = config;
    this.log = logger;
    this.root = config.storePathRootDir;
    this.maxRecordBytes = config.maxMessageSize + MAX_PROPERTIES_BYTES + MAX_TOPIC_BYTES + 256;
    const clDir = config.storePathCommitLog ?? path.join(this.root, 'commitlog');
    this.commitLog = new CommitLog(clDir, config.mappedFileSizeCommitLog, config.pageCacheChunkBytes,
      config.pageCacheBytesMax, this.maxRecordBytes);
    this.hostHex = hostHex(config.storeHost);
    this.delayLevels = parseDelayLevels(config.messageDelayLevel);
    this.fields = {
      topicBytes: Buffer.alloc(0), queueId: 0, flag: 0, body: Buffer.alloc(0), properties: '', propertiesLength: 0,
      sysFlag: 0, bornTimestamp: 0, bornHost: { ip: '0.0.0.0', port: 0 }, reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: 0,
    };
  }

  /** Opens (creating or recovering) the store under config.storePathRootDir. */
  static async open(config: StoreConfig, logger: Logger = silentLogger): Promise<MessageStore> {
    const s = new MessageStore(config, logger);
    if (!addonLogged) {
      addonLogged = true;
      if (nativeLoaded) logger.info('native addon loaded: fdatasync/fallocate/fadvise via N-API');
      else logger.warn('native addon not loaded: falling back to node:fs (no fallocate, no fadvise)');
    }
    s.lock = acquireStoreLock(s.root);
    try {
      s.recover();
      s.start();
    } catch (e) {
      s.lock.release();
      throw e;
    }
    return s;
  }

  // ---------------------------------------------------------------- recovery

  private recover(): void {
    const cfg = this.config;
    fs.mkdirSync(this.root, { recursive: true });
    const abortPath = path.join(this.root, 'abort');
    const abnormal = fs.existsSync(abortPath);
    this.commitLog.load();
    const cp = readCheckpoint(path.join(this.root, 'checkpoint'));
    this.loadConsumeQueues();
    this.loadIndexFiles();
    const files = this.commitLog.files;
    let start = files.length > 0 ? files[Math.max(0, files.length - 3)].from : 0;
    if (cp?.ext) start = Math.min(cp.ext.logicPhyOffset, cp.ext.flushedPhyOffset);
    if (!fs.existsSync(path.join(this.root, 'consumequeue')) && files.length > 0) start = files[0].from;
    // After a crash, verify the whole file the checkpoint points into, as Apache does.
    if (abnormal && files.length > 0) start = Math.max(files[0].from, start - ((start - files[0].from) % cfg.mappedFileSizeCommitLog));
    if (files.length > 0) start = Math.max(start, files[0].from);
    this.log.info(`recovering from commit log offset ${start} (${abnormal ? 'after a crash' : 'after a clean stop'})`);
    let records = 0;
    const end = this.commitLog.scan(start, cfg.checkCRCOnRecover, this.maxRecordBytes, (buf, pos, phy, size) => {
      this.redispatch(buf, pos, phy, size);
      records++;
    }, (m) => this.log.warn(m));
    this.commitLog.truncateTo(end, (m) => this.log.warn(m));
    if (files.length === 0) this.commitLog.writePos = this.commitLog.committedPos = this.commitLog.flushedPos = 0;
    const minPhy = this.commitLog.minOffset;
    for (const cq of this.cqs) {
      if (cq === undefined) continue;
      this.truncateQueueTail(cq, this.commitLog.writePos);
      cq.correctMinOffset(minPhy);
    }
    this.dispatchedPos = this.commitLog.writePos;
    this.submittedPos = this.syncSubmittedPos = this.commitLog.writePos;
    this.setIndexedPos(this.commitLog.writePos);
    this.publishPositions();
    // Make the rebuilt queues and index durable before accepting writes.
    const ops: WriteOp[] = [];
    this.collectLogicOps(ops);
    this.fillCheckpointImage();
    flushInline({ ops, sync: true, afterSync: [this.checkpointOp()], closePaths: [] });
    fs.writeFileSync(abortPath, '');
    this.log.info(`recovered: ${records} records scanned, commit log [${this.commitLog.minOffset}, ${this.commitLog.writePos}), ${this.cqs.filter(Boolean).length} queues`);
  }

  private truncateQueueTail(cq: ConsumeQueue, end: number): void {
    let q = cq.maxOffset;
    while (q > cq.minOffset && cq.get(q - 1, this.entryScratch) && this.entryScratch[0] + this.entryScratch[1] > end) q--;
    if (q < cq.maxOffset) {
      this.log.warn(`consume queue ${cq.topic}/${cq.queueId}: dropped entries [${q}, ${cq.maxOffset}) beyond the commit log end`);
      cq.truncateFrom(q);
    }
  }

  private loadConsumeQueues(): void {
    const dir = path.join(this.root, 'consumequeue');
    if (!fs.existsSync(dir)) return;
    for (const topic of fs.readdirSync(dir)) {
      const tdir = path.join(dir, topic);
      if (!fs.statSync(tdir).isDirectory()) continue;
      for (const q of fs.readdirSync(tdir)) {
        if (!/^\d+$/.test(q)) continue;
        const cq = this.queue(topic, Number(q));
        cq.load();
      }
    }
  }

  private loadIndexFiles(): void {
    const dir = path.join(this.root, 'index');
    fs.mkdirSync(dir, { recursive: true });
    const names = fs.readdirSync(dir).filter((n) => /^\d{17}$/.test(n)).sort();
    for (const n of names) this.indexFiles.push(IndexFile.open(path.join(dir, n), this.config.maxHashSlotNum, this.config.maxIndexNum));
    const last = this.indexFiles[this.indexFiles.length - 1];
    if (last && !last.isFull() && last.hashSlotNum === this.config.maxHashSlotNum) last.openInMemory(true);
  }

  /** Recovery: rebuilds the ConsumeQueue entry and index keys of one valid record when missing. */
  private redispatch(buf: Buffer, pos: number, phy: number, size: number): void {
    const queueId = buf.readInt32BE(pos + 12);
    const queueOffset = readInt64(buf, pos + 20);
    const sysFlag = buf.readInt32BE(pos + 36);
    const l = recordLayout(buf, pos);
    const storeTs = readInt64(buf, l.storeTimestampPos);
    const topic = buf.toString('utf8', l.topicPos, l.topicPos + l.topicLength);
    const props = buf.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength);
    const tran = sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE;
    if (tran === SysFlag.TRANSACTION_NOT_TYPE || tran === SysFlag.TRANSACTION_COMMIT_TYPE) {
      const cq = this.queue(topic, queueId);
      const have = cq.get(queueOffset, this.entryScratch);
      if (!have || this.entryScratch[0] !== phy || this.entryScratch[1] !== size) {
        cq.put(queueOffset, phy, size, this.tagsCodeOf(topic, props, storeTs));
      }
    }
    this.buildIndex(topic, props, phy, storeTs, sysFlag);
    this.lastDispatchedStoreTs = storeTs;
  }

  private tagsCodeOf(topic: string, props: string, storeTs: number): number {
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

  // ---------------------------------------------------------------- lifecycle

  private start(): void {
    this.pool = flushPool();
    this.indexPool = dispatchPool();
    const t = (ms: number, fn: () => void) => { const h = setInterval(fn, ms); h.unref(); this.timers.push(h); };
    if (this.config.flushDiskType === 'ASYNC_FLUSH') {
      t(Math.max(1, this.config.flushIntervalCommitLog), () => { this.syncRequested = true; this.scheduleFlush(); });
    }
    t(Math.max(10, this.config.flushIntervalConsumeQueue), () => { void this.flushLogic(); });
    t(Math.max(20, Math.min(500, this.config.syncFlushTimeout / 4)), () => this.expireWaiters());
    t(10000, () => { try { this.deleteExpiredFiles(); } catch (e) { this.log.error(`retention: ${(e as Error).message}`); } });
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const h of this.timers) clearInterval(h);
    this.timers = [];
    // drain: the commit log to disk, then the logic files and the checkpoint
    for (let i = 0; i < 100; i++) {
      await this.drainFlushes();
      if (!this.writable || this.commitLog.flushedPos >= this.commitLog.writePos) break;
      this.syncRequested = true;
      this.runFlush();
    }
    for (let i = 0; i < 1000 && this.indexInFlight; i++) await this.indexInFlight;
    if (this.cqFlushInFlight) await this.cqFlushInFlight;
    await this.flushLogic();
    this.failWaiters('SERVICE_NOT_AVAILABLE', 'store shut down');
    this.pool = null;
    this.indexPool = null;
    this.commitLog.close();
    for (const f of this.indexFiles) f.close();
    if (this.writable) fs.rmSync(path.join(this.root, 'abort'), { force: true });
    this.lock?.release();
    this.lock = null;
  }

  // ---------------------------------------------------------------- append

  private topicEntry(topic: string): TopicEntry {
    let t = this.topics.get(topic);
    if (t === undefined) {
      t = { name: topic, bytes: Buffer.from(topic, 'utf8'), queues: [] };
      this.topics.set(topic, t);
    }
    return t;
  }

  private queue(topic: string, queueId: number): ConsumeQueue {
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

  private cqId(cq: ConsumeQueue): number { return (cq as ConsumeQueue & { id: number }).id; }

  /** Validates and encodes one message; returns its PutResult (not yet durable) or a failure. */
  private appendOne(msg: MessageInner, phyHint: number): PutResult {
    const t = this.topicEntry(msg.topic);
    if (t.bytes.length === 0 || t.bytes.length > MAX_TOPIC_BYTES) return failed('MESSAGE_ILLEGAL', 'topic length must be 1..127 bytes');
    if (!(msg.queueId >= 0 && msg.queueId < 65536)) return failed('MESSAGE_ILLEGAL', `bad queueId ${msg.queueId}`);
    const props = msg.properties ?? '';
    const propsLen = Buffer.byteLength(props, 'utf8');
    if (propsLen > MAX_PROPERTIES_BYTES) return failed('PROPERTIES_SIZE_EXCEEDED', `properties are ${propsLen} bytes`);
    const sysFlag = msg.sysFlag | 0;
    const size = recordSize(sysFlag, msg.body.length, t.bytes.length, propsLen);
    if (msg.body.length > this.config.maxMessageSize || size + 8 > this.commitLog.fileSize) return failed('MESSAGE_ILLEGAL', `message of ${size} bytes is too large`);
    const tran = sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE;
    const toQueue = tran === SysFlag.TRANSACTION_NOT_TYPE || tran === SysFlag.TRANSACTION_COMMIT_TYPE;
    const cq = this.queue(msg.topic, msg.queueId);
    const queueOffset = toQueue ? cq.nextOffset : 0;
    const phy = phyHint >= 0 ? phyHint : this.commitLog.prepare(size);
    const storeTs = Date.now();
    const f = this.fields;
    f.topicBytes = t.bytes; f.queueId = msg.queueId; f.flag = msg.flag; f.body = msg.body; f.properties = props;
    f.propertiesLength = propsLen; f.sysFlag = sysFlag; f.bornTimestamp = msg.bornTimestamp; f.bornHost = msg.bornHost;
    f.reconsumeTimes = msg.reconsumeTimes; f.preparedTransactionOffset = msg.preparedTransactionOffset;
    f.bodyCRC = copyWithCrc === null ? bodyCrc(msg.body) : 0; // else computed while copying
    this.commitLog.target(phy, size);
    encodeRecord(this.commitLog.tBuf, this.commitLog.tPos, size, f, queueOffset, phy, storeTs, this.config.storeHost, this.commitLog.tDv, copyBytes, copyWithCrc);
    this.commitLog.finish(phy, size);
    if (toQueue) cq.nextOffset++;
    const tagsCode = msg.tagsCode ?? this.tagsCodeOf(msg.topic, props, storeTs);
    this.ring.push(toQueue ? this.cqId(cq) : -1, queueOffset, phy, size, tagsCode, storeTs, sysFlag);
    this.lastAppendStoreTs = storeTs;
    this.stats.putMessages++;
    return { status: 'PUT_OK', wroteOffset: phy, wroteBytes: size, queueOffset, msgId: offsetMsgId(this.hostHex, phy), storeTimestamp: storeTs, msgNum: 1 };
  }

  private refuse(): PutResult | null {
    if (this.closing) return failed('SERVICE_NOT_AVAILABLE', 'store is shutting down');
    if (!this.writable) return failed('SERVICE_NOT_AVAILABLE', `store is not writable: ${this.lastError}`);
    return null;
  }

  private ioFailure(e: unknown): PutResult {
    if (e instanceof StoreIOError) {
      this.markUnwritable(`${e.code}: ${e.message}`);
      return failed('SERVICE_NOT_AVAILABLE', e.message);
    }
    throw e;
  }

  putMessage(msg: MessageInner): Promise<PutResult> {
    const refused = this.refuse();
    if (refused) return Promise.resolve(refused);
    let r: PutResult;
    try {
      if (this.testHooks.failFileCreate) this.checkCreateHook(msg);
      r = this.appendOne(msg, -1);
    } catch (e) { return Promise.resolve(this.ioFailure(e)); }
    if (r.status !== 'PUT_OK') return Promise.resolve(r);
    return this.afterAppend(r, r.wroteOffset + r.wroteBytes);
  }

  putMessages(topic: string, queueId: number, batch: MessageInner[]): Promise<PutResult> {
    const refused = this.refuse();
    if (refused) return Promise.resolve(refused);
    if (batch.length === 0) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'empty batch'));
    const t = this.topicEntry(topic);
    let total = 0;
    for (const m of batch) {
      if (m.topic !== topic || m.queueId !== queueId) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'a batch goes to one queue'));
      total += recordSize(m.sysFlag | 0, m.body.length, t.bytes.length, Buffer.byteLength(m.properties ?? '', 'utf8'));
    }
    if (total + 8 > this.commitLog.fileSize) return Promise.resolve(failed('MESSAGE_ILLEGAL', 'batch larger than a commit log file'));
    let phy: number;
    try { phy = this.commitLog.prepare(total); } catch (e) { return Promise.resolve(this.ioFailure(e)); }
    const ids: string[] = [];
    let first: PutResult | null = null;
    for (const m of batch) {
      const r = this.appendOne(m, phy);
      if (r.status !== 'PUT_OK') {
        // validation failed midway: earlier records stay (they are whole); report the failure
        if (first === null) return Promise.resolve(r);
        this.log.warn(`batch for ${topic}/${queueId} stopped at message ${ids.length}: ${r.error}`);
        break;
      }
      if (first === null) first = r;
      ids.push(r.msgId);
      phy += r.wroteBytes;
    }
    const res: PutResult = { ...first!, wroteBytes: phy - first!.wroteOffset, msgNum: ids.length, msgIds: ids, msgId: ids.join(',') };
    return this.afterAppend(res, phy);
  }

  private checkCreateHook(msg: MessageInner): void {
    const size = recordSize(msg.sysFlag | 0, msg.body.length, Buffer.byteLength(msg.topic), Buffer.byteLength(msg.properties ?? ''));
    const file = this.commitLog.fileFor(this.commitLog.writePos);
    if (file === undefined || file.from + this.commitLog.fileSize - this.commitLog.writePos < size + 8) {
      const code = this.testHooks.failFileCreate!;
      throw new StoreIOError(`${code}: injected failure creating a commit log file`, code);
    }
  }

  /**
   * The put resolves under SYNC_FLUSH once its bytes are on disk, under ASYNC_FLUSH once they are
   * handed to the OS (written to the file): a process kill then loses nothing acknowledged, as with
   * Apache's mmap'ed commit log. Before that they exist only in this process's shared pages.
   */
  private afterAppend(r: PutResult, end: number): Promise<PutResult> {
    this.scheduleFlush();
    return new Promise<PutResult>((resolve) => {
      this.waiters.push({ end, result: r, resolve, deadline: Date.now() + this.config.syncFlushTimeout });
    });
  }

  // ---------------------------------------------------------------- flush (group commit)

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.runFlushBound);
  }
  private readonly runFlushBound = () => { this.flushScheduled = false; this.runFlush(); };

  /**
   * Group commit: everything appended since the last submission goes to the FLUSH pool as one task
   * (write, then fdatasync when the durability needs it). A second task may start while one writes
   * or syncs (appends that arrive meanwhile), in both modes since both acknowledge on completion;
   * results apply in submission order.
   * (Splitting one group into two concurrent tasks was measured: more CPU and fewer msgs/s here.)
   */
  private runFlush(): void {
    const cl = this.commitLog;
    const maxInFlight = 2;
    while (this.flushQueue.length < maxInFlight && this.writable && this.pool !== null) {
      const from = this.submittedPos;
      const target = cl.writePos;
      const sync = this.config.flushDiskType === 'SYNC_FLUSH' ? target > this.syncSubmittedPos : (this.syncRequested && cl.flushedPos < target);
      if (target === from && !sync) return;
      this.syncRequested = false;
      let ops: WriteOp[];
      try { ops = cl.writeOps(from, target); } catch (e) { this.markUnwritable((e as Error).message); return; }
      const syncPaths: string[] = [];
      if (sync) {
        for (let f = cl.fileFor(Math.min(cl.flushedPos, from)); f !== undefined && f.from < target; f = cl.fileFor(f.from + cl.fileSize)) syncPaths.push(f.path);
      }
      const fault = this.testHooks.failNextWrite;
      this.testHooks.failNextWrite = null;
      const task: FlushTask = {
        ops, sync, syncPaths, fault, control: this.control, delayMs: this.testHooks.flushDelayMs,
        publish: { committedIndex: CTL_COMMITTED, flushedIndex: CTL_FLUSHED, position: target },
        closePaths: this.takeClosePaths(),
      };
      const entry: FlushInFlight = { target, sync, storeTs: this.lastAppendStoreTs, result: null, done: Promise.resolve() };
      this.stats.flushTasks++;
      this.submittedPos = target;
      if (sync) this.syncSubmittedPos = target;
      entry.done = this.pool.run(task).then(
        (res) => this.onFlushDone(entry, res),
        (e: Error) => this.onFlushDone(entry, { ok: false, error: e.message, code: 'EIO', bytes: 0, syncMs: 0 }),
      );
      this.flushQueue.push(entry);
    }
  }

  private onFlushDone(entry: FlushInFlight, res: FlushResult): void {
    entry.result = res;
    const cl = this.commitLog;
    let advanced = false;
    while (this.flushQueue.length > 0 && this.flushQueue[0].result !== null) {
      const e = this.flushQueue.shift()!;
      const r = e.result!;
      if (!r.ok) {
        this.markUnwritable(`${r.code}: ${r.error}`);
        this.failWaiters('SERVICE_NOT_AVAILABLE', `write failed: ${r.error}`);
        this.flushQueue.length = 0;
        return;
      }
      if (!this.writable) continue;
      cl.committed(e.target);
      this.lastCommittedStoreTs = e.storeTs;
      if (e.sync) {
        cl.flushedPos = e.target; this.lastSyncMs = Date.now(); this.lastFlushedStoreTs = e.storeTs;
        this.stats.syncs++; this.stats.syncMsTotal += r.syncMs;
      }
      advanced = true;
    }
    if (!advanced || !this.writable) return;
    this.resolveWaiters(this.config.flushDiskType === 'ASYNC_FLUSH' ? cl.committedPos : cl.flushedPos);
    this.dispatch();
    this.runFlush();
  }

  /** Resolves once every submitted flush task is applied. */
  private async drainFlushes(): Promise<void> {
    // Wait on the head: entries leave the queue only in order, once the head is done. The last one
    // can finish first (two workers); awaiting its settled promise again and again was a microtask
    // loop that starved the event loop, so the head's result never arrived (shutdown hung forever).
    while (this.flushQueue.length > 0) await this.flushQueue[0].done;
  }

  private resolveWaiters(flushed: number): void {
    const w = this.waiters;
    let i = this.waiterHead;
    while (i < w.length && w[i].end <= flushed) { w[i].resolve(w[i].result); i++; }
    this.compactWaiters(i);
  }

  private compactWaiters(head: number): void {
    if (head >= this.waiters.length) { this.waiters = []; this.waiterHead = 0; }
    else if (head > 1024 && head * 2 > this.waiters.length) { this.waiters = this.waiters.slice(head); this.waiterHead = 0; }
    else this.waiterHead = head;
  }

  private expireWaiters(): void {
    const now = Date.now();
    const w = this.waiters;
    let i = this.waiterHead;
    while (i < w.length && w[i].deadline <= now) {
      w[i].resolve({ ...w[i].result, status: 'FLUSH_DISK_TIMEOUT' });
      i++;
    }
    this.compactWaiters(i);
  }

  private failWaiters(status: PutStatus, why: string): void {
    const w = this.waiters;
    for (let i = this.waiterHead; i < w.length; i++) w[i].resolve({ ...w[i].result, status, error: why });
    this.waiters = []; this.waiterHead = 0;
  }

  private markUnwritable(why: string): void {
    if (this.writable) this.log.error(`store is no longer writable: ${why}`);
    this.writable = false;
    this.lastError = why;
  }

  private takeIndexClosePaths(): string[] | undefined {
    if (this.indexClosePaths.length === 0) return undefined;
    const p = this.indexClosePaths;
    this.indexClosePaths = [];
    return p;
  }

  private takeClosePaths(): string[] | undefined {
    if (this.pendingClosePaths.length === 0) return undefined;
    const p = this.pendingClosePaths;
    this.pendingClosePaths = [];
    return p;
  }

  private publishPositions(): void {
    Atomics.store(this.ctl, CTL_WRITE, BigInt(this.commitLog.writePos));
    Atomics.store(this.ctl, CTL_COMMITTED, BigInt(this.commitLog.committedPos));
    Atomics.store(this.ctl, CTL_FLUSHED, BigInt(this.commitLog.flushedPos));
    Atomics.store(this.ctl, CTL_DISPATCHED, BigInt(this.dispatchedPos));
  }

  // ---------------------------------------------------------------- dispatch

  /** Builds ConsumeQueue and index entries for records now on the OS; wakes listeners. */
  private dispatch(): void {
    const ring = this.ring;
    const limit = this.commitLog.committedPos;
    for (let i = ring.peek(); i >= 0; i = ring.peek()) {
      const end = ring.phy[i] + ring.size[i];
      if (end > limit) break;
      const cqIdx = ring.cq[i];
      const cq = cqIdx >= 0 ? this.cqs[cqIdx] : undefined;
      if (cq !== undefined) {
        cq.put(ring.queueOffset[i], ring.phy[i], ring.size[i], ring.tagsCode[i]);
        if (!cq.touched) { cq.touched = true; this.touchedQueues.push(cq); }
      }
      this.lastDispatchedStoreTs = ring.storeTs[i];
      ring.shift();
    }
    this.dispatchedPos = ring.peek() >= 0 ? ring.phy[ring.peek()] : limit;
    this.publishPositions();
    this.scheduleIndex();
    const touched = this.touchedQueues;
    if (touched.length === 0) return;
    this.touchedQueues = [];
    for (const cq of touched) {
      cq.touched = false;
      for (const cb of this.listeners) {
        try { cb(cq.topic, cq.queueId, cq.maxOffset); } catch (e) { this.log.error(`onNewMessage listener: ${(e as Error).message}`); }
      }
    }
  }

  /** Recovery (main thread): index keys of one record unless the index already has it. */
  private buildIndex(topic: string, props: string, phy: number, storeTs: number, sysFlag: number): void {
    if (!this.config.messageIndexEnable) return;
    if ((sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE) === SysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const last = this.indexFiles[this.indexFiles.length - 1];
    if (last !== undefined && phy < last.endPhyOffset) return;
    for (const key of messageIndexKeys(topic, props, this.keyScratch)) {
      let f = this.indexFiles[this.indexFiles.length - 1];
      if (f === undefined || f.buf === null || f.isFull()) f = this.rollIndexFile();
      f.putKey(key, phy, storeTs);
    }
  }

  private rollIndexFile(): IndexFile {
    const f = this.indexFiles[this.indexFiles.length - 1];
    if (f !== undefined && f.buf !== null) this.retireIndexFile(f);
    const next = IndexFile.create(path.join(this.root, 'index'), Date.now(), this.config.maxHashSlotNum, this.config.maxIndexNum);
    this.indexFiles.push(next);
    return next;
  }

  private setIndexedPos(pos: number): void {
    this.indexedPos = pos;
  }

  /** Hands [indexedPos, dispatchedPos) to the DISPATCH pool; one task at a time, in log order. */
  private scheduleIndex(): void {
    if (!this.config.messageIndexEnable) { this.setIndexedPos(this.dispatchedPos); return; }
    if (this.indexInFlight !== null || this.indexPool === null || this.indexedPos >= this.dispatchedPos) return;
    let f = this.indexFiles[this.indexFiles.length - 1];
    if (f === undefined || f.buf === null || f.isFull()) f = this.rollIndexFile();
    const from = this.indexedPos;
    // bounded tasks: only their pages are pinned; a lagging index reads older bytes from the files
    const to = Math.min(this.dispatchedPos, from + INDEX_TASK_BYTES_MAX);
    const cl = this.commitLog;
    cl.pin(from, to + this.maxRecordBytes);
    const task: IndexTask = {
      pages: cl.pagesFor(from, to + this.maxRecordBytes), commitLogDir: cl.dir, closePaths: this.takeIndexClosePaths(),
      chunkBytes: cl.cache.chunkBytes, fileSize: cl.fileSize, from, to,
      maxRecordBytes: this.maxRecordBytes,
      index: { sab: f.sab!, dirty: f.dirtySab!, hashSlotNum: f.hashSlotNum, indexNum: f.indexNum, header: { ...f.h } },
    };
    const file = f;
    this.indexInFlight = this.indexPool.run(task).then((res) => {
      this.indexInFlight = null;
      cl.pin(0, 0);
      cl.committed(cl.committedPos); // pages the task pinned may be dropped now
      file.applyHeader(res.header);
      if (res.error) {
        this.log.error(`index: ${res.error}; records in [${res.reached}, ${to}) are not indexed`);
        this.setIndexedPos(to);
      } else {
        this.setIndexedPos(res.reached);
        if (res.full) this.rollIndexFile();
      }
      this.scheduleIndex();
    }, (e: Error) => {
      this.indexInFlight = null;
      cl.pin(0, 0);
      this.log.error(`index task failed: ${e.message}`);
      this.setIndexedPos(to);
    });
  }

  /** A full index file: write its pages now (synchronously, rare), then drop the memory copy. */
  private retireIndexFile(f: IndexFile): void {
    const ops: WriteOp[] = [];
    f.takeWriteOps(ops);
    flushInline({ ops, sync: true, closePaths: [f.path] });
    f.release();
  }

  private collectLogicOps(ops: WriteOp[]): void {
    for (const cq of this.cqs) if (cq !== undefined) { cq.takeWriteOps(ops); cq.trimMemory(); }
    for (const f of this.indexFiles) f.takeWriteOps(ops);
  }

  private fillCheckpointImage(): void {
    fillCheckpoint(this.checkpointSab, {
      physicMsgTimestamp: this.lastFlushedStoreTs, logicsMsgTimestamp: this.lastDispatchedStoreTs,
      indexMsgTimestamp: this.lastDispatchedStoreTs,
      ext: { flushedPhyOffset: this.commitLog.flushedPos, logicPhyOffset: Math.min(this.dispatchedPos, this.indexedPos) },
    });
  }

  private checkpointOp(): WriteOp {
    return { path: path.join(this.root, 'checkpoint'), fileOffset: 0, sab: this.checkpointSab, sabOffset: 0, length: CHECKPOINT_SIZE };
  }

  /** Writes dirty ConsumeQueue/IndexFile pages, syncs them, then the checkpoint that vouches for them. */
  async flushLogic(): Promise<void> {
    if (this.cqFlushInFlight) return this.cqFlushInFlight;
    // index pages are written between dispatch tasks only, so the disk never holds half a task
    if (this.indexInFlight) await this.indexInFlight;
    if (this.cqFlushInFlight) return this.cqFlushInFlight;
    if (this.pool === null) return;
    const ops: WriteOp[] = [];
    this.collectLogicOps(ops);
    const logic = Math.min(this.dispatchedPos, this.indexedPos);
    if (ops.length === 0 && logic === this.lastCheckpointLogic) return;
    // the checkpoint image is filled when the task is built, so it never claims more than the ops carry
    const cpSab = new SharedArrayBuffer(CHECKPOINT_SIZE);
    fillCheckpoint(cpSab, {
      physicMsgTimestamp: this.lastFlushedStoreTs, logicsMsgTimestamp: this.lastDispatchedStoreTs,
      indexMsgTimestamp: this.lastDispatchedStoreTs,
      ext: { flushedPhyOffset: this.commitLog.flushedPos, logicPhyOffset: logic },
    });
    const cp: WriteOp = { ...this.checkpointOp(), sab: cpSab };
    this.cqFlushInFlight = this.pool.run({ ops, sync: true, afterSync: [cp], closePaths: this.takeClosePaths() }).then((res) => {
      this.cqFlushInFlight = null;
      if (!res.ok) { this.log.error(`consume queue/index flush failed: ${res.error}`); return; }
      this.lastCheckpointLogic = logic;
    }, (e: Error) => { this.cqFlushInFlight = null; this.log.error(`consume queue/index flush failed: ${e.message}`); });
    return this.cqFlushInFlight;
  }
  private lastCheckpointLogic = -1;

  // ---------------------------------------------------------------- read

  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number,
    maxTotalBytes: number, filter?: MessageFilter | null): GetResult {
    void group;
    const cq = this.topics.get(topic)?.queues[queueId];
    const result: GetResult = { status: 'NO_MATCHED_LOGIC_QUEUE', nextBeginOffset: 0, minOffset: 0, maxOffset: 0, buffers: [], messageCount: 0, bufferTotalSize: 0 };
    if (cq === undefined) return result;
    const min = cq.minOffset;
    const max = cq.maxOffset;
    result.minOffset = min;
    result.maxOffset = max;
    if (max === 0) { result.status = 'NO_MESSAGE_IN_QUEUE'; result.nextBeginOffset = 0; return result; }
    if (offset < min) { result.status = 'OFFSET_TOO_SMALL'; result.nextBeginOffset = min; return result; }
    if (offset === max) { result.status = 'OFFSET_OVERFLOW_ONE'; result.nextBeginOffset = offset; return result; }
    if (offset > max) { result.status = 'OFFSET_OVERFLOW_BADLY'; result.nextBeginOffset = min === 0 ? min : max; return result; }
    result.status = 'NO_MATCHED_MESSAGE';
    const e = this.entryScratch;
    const minPhy = this.commitLog.minOffset;
    let scratch = this.pullScratch;
    const sizes: number[] = [];
    let q = offset;
    const lastQ = Math.min(max, offset + Math.max(maxMsgNums, MAX_FILTER_ENTRIES));
    for (; q < lastQ; q++) {
      if (!cq.get(q, e)) { if (q === offset) { result.status = 'OFFSET_FOUND_NULL'; } break; }
      const phy = e[0], size = e[1], tagsCode = e[2];
      if (result.messageCount > 0 && (result.messageCount >= maxMsgNums || result.bufferTotalSize + size > maxTotalBytes)) break;
      if (phy < minPhy) { if (result.bufferTotalSize === 0) result.status = 'MESSAGE_WAS_REMOVING'; continue; }
      if (filter && !filter.matchByConsumeQueue(tagsCode)) { if (result.bufferTotalSize === 0) result.status = 'NO_MATCHED_MESSAGE'; continue; }
      // copied into the pull's own buffer (below), not views over the shared pages: see pullScratch
      const at = result.bufferTotalSize;
      if (scratch.length < at + size) scratch = this.growPullScratch(at + size, at);
      const ok = this.commitLog.copyOut(phy, size, scratch, at);
      if (!ok || scratch.readInt32BE(at) !== size || scratch.readInt32BE(at + 4) !== MESSAGE_MAGIC_CODE) {
        if (ok) this.log.error(`consume queue ${topic}/${queueId} offset ${q}: record at ${phy} fails its header check; not served`);
        if (result.bufferTotalSize === 0) result.status = 'MESSAGE_WAS_REMOVING';
        continue;
      }
      if (filter?.matchByCommitLog && !filter.matchByCommitLog(scratch.subarray(at, at + size))) { if (result.bufferTotalSize === 0) result.status = 'NO_MATCHED_MESSAGE'; continue; }
      sizes.push(size);
      result.messageCount++;
      result.bufferTotalSize += size;
      result.status = 'FOUND';
    }
    result.nextBeginOffset = q;
    if (result.messageCount > 0) {
      const out = Buffer.allocUnsafe(result.bufferTotalSize);
      scratch.copy(out, 0, 0, result.bufferTotalSize);
      let pos = 0;
      for (const n of sizes) { result.buffers.push(out.subarray(pos, pos + n)); pos += n; }
    }
    return result;
  }

  private growPullScratch(need: number, keep: number): Buffer {
    const next = Buffer.allocUnsafe(Math.max(need, this.pullScratch.length * 2));
    this.pullScratch.copy(next, 0, 0, keep);
    this.pullScratch = next;
    return next;
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number { return this.topics.get(topic)?.queues[queueId]?.maxOffset ?? 0; }
  getMinOffsetInQueue(topic: string, queueId: number): number { return this.topics.get(topic)?.queues[queueId]?.minOffset ?? 0; }

  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number {
    const cq = this.topics.get(topic)?.queues[queueId];
    return cq !== undefined && cq.get(cqOffset, this.entryScratch) ? this.entryScratch[0] : 0;
  }

  private storeTimeAt(cq: ConsumeQueue, q: number): number {
    if (!cq.get(q, this.entryScratch)) return -1;
    const rec = this.commitLog.read(this.entryScratch[0], this.entryScratch[1]);
    if (rec === null || rec.length < 64) return -1;
    return readInt64(rec, storeTimestampOffset(readInt32(rec, 36)));
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number {
    const cq = this.topics.get(topic)?.queues[queueId];
    return cq === undefined ? -1 : this.storeTimeAt(cq, cqOffset);
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    const cq = this.topics.get(topic)?.queues[queueId];
    if (cq === undefined) return -1;
    for (let q = cq.minOffset; q < cq.maxOffset; q++) { const t = this.storeTimeAt(cq, q); if (t >= 0) return t; }
    return -1;
  }

  /** The queue offset whose store time is closest to timestampMs (the first exact match wins). */
  getOffsetInQueueByTime(topic: string, queueId: number, timestampMs: number): number {
    const cq = this.topics.get(topic)?.queues[queueId];
    if (cq === undefined || cq.maxOffset <= cq.minOffset) return cq?.maxOffset ?? 0;
    let lo = cq.minOffset, hi = cq.maxOffset - 1;
    while (lo <= hi && this.storeTimeAt(cq, lo) < 0) lo++;
    if (lo > hi) return cq.maxOffset;
    // first offset with time >= timestampMs
    let a = lo, b = hi + 1;
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      if (this.storeTimeAt(cq, mid) >= timestampMs) b = mid; else a = mid + 1;
    }
    if (a > hi) return hi;                         // all earlier: the last message
    if (a === lo) return lo;                       // all later: the first message
    const right = this.storeTimeAt(cq, a);
    if (right === timestampMs) return a;
    const left = this.storeTimeAt(cq, a - 1);
    return Math.abs(timestampMs - left) > Math.abs(timestampMs - right) ? a : a - 1;
  }

  /** One stored record at a commit log offset (size read from the record when not given). */
  lookMessageByOffset(commitLogOffset: number, size?: number): Buffer | null {
    let n = size;
    if (n === undefined || n <= 0) {
      const head = this.commitLog.read(commitLogOffset, 8);
      if (head === null) return null;
      n = head.readInt32BE(0);
      if (head.readInt32BE(4) !== MESSAGE_MAGIC_CODE || n < 91 || n > this.maxRecordBytes) return null;
    }
    const rec = this.commitLog.read(commitLogOffset, n);
    if (rec === null || rec.readInt32BE(0) !== n || rec.readInt32BE(4) !== MESSAGE_MAGIC_CODE) return null;
    return rec;
  }

  /** Records whose KEYS or UNIQ_KEY equal key, newest first. */
  queryMessage(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): QueryResult {
    const offsets: number[] = [];
    const last = this.indexFiles[this.indexFiles.length - 1];
    const full = `${topic}#${key}`;
    for (let i = this.indexFiles.length - 1; i >= 0 && offsets.length < maxNum; i--) {
      const f = this.indexFiles[i];
      if (f.isTimeMatched(beginMs, endMs)) f.selectPhyOffsets(offsets, full, maxNum, beginMs, endMs);
      if (f.beginTimestamp < beginMs) break;
    }
    const buffers: Buffer[] = [];
    const seen = new Set<number>();
    for (const off of offsets) {
      if (seen.has(off) || off >= this.dispatchedPos) continue;
      seen.add(off);
      const rec = this.lookMessageByOffset(off);
      if (rec === null) continue;
      const l = recordLayout(rec, 0);
      if (rec.toString('utf8', l.topicPos, l.topicPos + l.topicLength) !== topic) continue;
      const props = rec.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength);
      const keys = getProperty(props, 'KEYS');
      if (getProperty(props, 'UNIQ_KEY') !== key && !(keys !== null && keys.split(' ').includes(key))) continue;
      buffers.push(rec);
    }
    return { buffers, indexLastUpdateTimestamp: last?.endTimestamp ?? 0, indexLastUpdatePhyoffset: last?.endPhyOffset ?? 0 };
  }

  onNewMessage(cb: (topic: string, queueId: number, maxOffset: number) => void): void { this.listeners.push(cb); }

  getMaxPhyOffset(): number { return this.commitLog.writePos; }
  getMinPhyOffset(): number { return this.commitLog.minOffset; }
  dispatchBehindBytes(): number { return this.commitLog.writePos - this.dispatchedPos; }
  isWritable(): boolean { return this.writable && !this.closing; }

  /** Topics known to the store (those with consume queues). */
  topicNames(): string[] { return [...this.topics.keys()]; }

  // ---------------------------------------------------------------- retention

  deleteTopics(topics: string[]): void {
    for (const name of topics) {
      const t = this.topics.get(name);
      if (t === undefined) continue;
      for (const cq of t.queues) {
        if (cq === undefined) continue;
        this.cqs[this.cqId(cq)] = undefined;
        cq.destroy();
      }
      this.topics.delete(name);
      fs.rmSync(path.join(this.root, 'consumequeue', name), { recursive: true, force: true });
    }
  }

  cleanExpiredConsumeQueues(): void {
    const minPhy = this.commitLog.minOffset;
    for (const cq of this.cqs) if (cq !== undefined) cq.deleteExpired(minPhy);
    // index files wholly below the commit log's start
    while (this.indexFiles.length > 1 && this.indexFiles[0].endPhyOffset < minPhy) this.indexFiles.shift()!.destroy();
  }

  /**
   * Deletes whole commit log files older than fileReservedTime hours, oldest first, at the deleteWhen
   * hour or when the disk is fuller than diskMaxUsedSpaceRatio (force: regardless of the hour). Never
   * the file being written, nor one not yet flushed and dispatched. Returns how many were deleted.
   */
  deleteExpiredFiles(nowMs = Date.now(), force = false): number {
    const hour = String(new Date(nowMs).getHours()).padStart(2, '0');
    const atHour = this.config.deleteWhen.split(';').map((h) => h.trim().padStart(2, '0')).includes(hour);
    const ratio = this.diskUsedRatio();
    const diskFull = ratio > this.config.diskMaxUsedSpaceRatio;
    if (!force && !atHour && !diskFull) return 0;
    const keepMs = this.config.fileReservedTime * 3600 * 1000;
    const cl = this.commitLog;
    let deleted = 0;
    while (cl.files.length > 1) {
      const f = cl.files[0];
      const end = f.from + cl.fileSize;
      if (end > this.dispatchedPos || end > this.indexedPos || end > cl.flushedPos || end > cl.committedPos) break;
      const mtime = fs.statSync(f.path).mtimeMs;
      if (nowMs - mtime < keepMs && !(diskFull && ratio > 0.9 * 100)) break;
      cl.deleteFirstFile();
      this.pendingClosePaths.push(f.path);
      this.indexClosePaths.push(f.path);
      this.log.info(`retention: deleted commit log file ${f.path}`);
      deleted++;
    }
    if (deleted > 0) this.cleanExpiredConsumeQueues();
    return deleted;
  }

  private diskUsedRatio(): number {
    try {
      const s = fs.statfsSync(this.root);
      return s.blocks > 0 ? ((s.blocks - s.bfree) / s.blocks) * 100 : 0;
    } catch { return 0; }
  }

  runtimeInfo(): Record<string, string> {
    const cl = this.commitLog;
    return {
      commitLogMinOffset: String(cl.minOffset),
      commitLogMaxOffset: String(cl.writePos),
      commitLogCommittedOffset: String(cl.committedPos),
      commitLogFlushedOffset: String(cl.flushedPos),
      dispatchBehindBytes: String(this.dispatchBehindBytes()),
      indexBehindBytes: String(this.dispatchedPos - this.indexedPos),
      commitLogFiles: String(cl.files.length),
      consumeQueues: String(this.cqs.filter(Boolean).length),
      indexFiles: String(this.indexFiles.length),
      pageCacheResidentBytes: String(cl.cache.residentBytes),
      pageCacheBytesMax: String(cl.cache.bytesMax),
      pageCacheEvictions: String(cl.cache.evictions),
      pageCacheDiskLoads: String(cl.cache.loads),
      pageCacheFreshPages: String(cl.cache.fresh),
      pageCacheRecycledPages: String(cl.cache.recycled),
      flushDiskType: this.config.flushDiskType,
      flushTasks: String(this.stats.flushTasks),
      fdatasyncCount: String(this.stats.syncs),
      fdatasyncAvgMs: this.stats.syncs > 0 ? (this.stats.syncMsTotal / this.stats.syncs).toFixed(3) : '0',
      putMessageTimesTotal: String(this.stats.putMessages),
      nativeAddon: nativeLoaded ? 'loaded' : 'fallback',
      writable: String(this.isWritable()),
      lastError: this.lastError ?? '',
      diskUsedRatio: this.diskUsedRatio().toFixed(1),
    };
  }
}

export { BLANK_MAGIC_CODE };
