// ReputService (Apache's ReputMessageService + CommitLogDispatcher for ConsumeQueue and IndexFile):
// once records are on the OS, writes their 20-byte ConsumeQueue entries on the main thread (from the
// dispatch ring: everything they hold is known at append time), wakes onNewMessage listeners, and
// hands the new range to the DISPATCH pool (dispatch-worker.js), which reads the same records from
// the shared pages and builds IndexFile entries. Recovery uses redispatch()/buildIndex() to rebuild
// entries from scanned records.
import * as path from 'node:path';
import type { Piscina } from 'piscina';
import { sharedPool } from './worker-pool.js';
import { IndexFile } from './index-file.js';
import type { IndexResult, IndexTask } from './dispatch-types.js';
import type { WriteOp } from './flush-types.js';
import { messageIndexKeys } from './index-core.js';
import flushInline from './flush-worker.js';
import { SysFlag, readInt64, recordLayout } from './record.js';
import type { ConsumeQueue } from './consume-queue.js';
import type { NewMessageListener } from './store-api.js';
import type { StoreCore } from './store-core.js';

const INDEX_TASK_BYTES_MAX = 8 * 1024 * 1024;
/**
 * Index tasks cover at least this much, or wait INDEX_BATCH_DELAY_MS for more: the commit log now
 * advances once per socket read, and a pool task per advance cost a quarter of the broker's CPU.
 * Posting one (the message to the DISPATCH thread and its wake-up) showed as ~0.15 ms of the main
 * thread's profile here: at 1 MiB / 20 ms that was 1.2-2 % of its busy time under load.
 */
const INDEX_TASK_BYTES_MIN = 4 * 1024 * 1024;
const INDEX_BATCH_DELAY_MS = 50;

// The DISPATCH pool, one per process (one thread: index entries are written in commit log order).
const dispatchPool = sharedPool<IndexTask, IndexResult>(new URL('./dispatch-worker.js', import.meta.url), 1);

export class ReputService {
  private indexPool: Piscina<IndexTask, IndexResult> | null = null;
  private indexTask: Promise<void> | null = null;
  private readonly keyScratch: string[] = [];
  private listeners: NewMessageListener[] = [];
  private touchedQueues: ConsumeQueue[] = [];
  private indexTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: StoreCore,
    /** a write-path invariant failed: refuse writes, fail the pending sends */
    private readonly stopWrites: (why: string) => void,
  ) {}

  start(): void { this.indexPool = dispatchPool(); }
  stop(): void {
    this.indexPool = null;
    if (this.indexTimer !== null) { clearTimeout(this.indexTimer); this.indexTimer = null; }
  }

  /** The index task in flight, if any. */
  get indexInFlight(): Promise<void> | null { return this.indexTask; }

  onNewMessage(cb: NewMessageListener): void { this.listeners.push(cb); }

  /** Builds ConsumeQueue and index entries for records now on the OS; wakes listeners. */
  dispatch(): void {
    const core = this.core;
    const ring = core.ring;
    const limit = core.commitLog.committedPos;
    for (let i = ring.peek(); i >= 0; i = ring.peek()) {
      const end = ring.phy[i] + ring.size[i];
      if (end > limit) break;
      const cqIdx = ring.cq[i];
      const cq = cqIdx >= 0 ? core.cqs[cqIdx] : undefined;
      if (cq !== undefined) {
        try {
          cq.put(ring.queueOffset[i], ring.phy[i], ring.size[i], ring.tagsCode[i]);
          if (!cq.touched) { cq.touched = true; this.touchedQueues.push(cq); }
        } catch (e) {
          // the entry is not written; the store stops taking writes (its queue state cannot be trusted)
          this.stopWrites(`consume queue ${cq.topic}/${cq.queueId}: ${(e as Error).message}`);
        }
      }
      core.lastStoreTs.dispatched = ring.storeTs[i];
      ring.shift();
    }
    core.dispatchedPos = ring.peek() >= 0 ? ring.phy[ring.peek()] : limit;
    core.publishPositions();
    this.scheduleIndex();
    const touched = this.touchedQueues;
    if (touched.length === 0) return;
    this.touchedQueues = [];
    for (const cq of touched) {
      cq.touched = false;
      for (const cb of this.listeners) {
        try { cb(cq.topic, cq.queueId, cq.maxOffset); } catch (e) { core.log.error(`onNewMessage listener: ${(e as Error).message}`); }
      }
    }
  }

  /** Recovery: rebuilds the ConsumeQueue entry and index keys of one valid record when missing. */
  redispatch(buf: Buffer, pos: number, phy: number, size: number): void {
    const core = this.core;
    const queueId = buf.readInt32BE(pos + 12);
    const queueOffset = readInt64(buf, pos + 20);
    const sysFlag = buf.readInt32BE(pos + 36);
    const l = recordLayout(buf, pos);
    const storeTs = readInt64(buf, l.storeTimestampPos);
    const topic = buf.toString('utf8', l.topicPos, l.topicPos + l.topicLength);
    const props = buf.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength);
    const tran = sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE;
    if (tran === SysFlag.TRANSACTION_NOT_TYPE || tran === SysFlag.TRANSACTION_COMMIT_TYPE) {
      const cq = core.queue(topic, queueId);
      const e = core.entryScratch;
      const have = cq.get(queueOffset, e);
      if (!have || e[0] !== phy || e[1] !== size) {
        cq.rebuild(queueOffset, phy, size, core.tagsCodeOf(topic, props, storeTs));
      }
    }
    this.buildIndex(topic, props, phy, storeTs, sysFlag);
    core.lastStoreTs.dispatched = storeTs;
  }

  /** Recovery (main thread): index keys of one record unless the index already has it. */
  private buildIndex(topic: string, props: string, phy: number, storeTs: number, sysFlag: number): void {
    const core = this.core;
    if (!core.config.messageIndexEnable) return;
    if ((sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE) === SysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const last = core.indexFiles[core.indexFiles.length - 1];
    if (last !== undefined && phy < last.endPhyOffset) return;
    for (const key of messageIndexKeys(topic, props, this.keyScratch)) {
      let f = core.indexFiles[core.indexFiles.length - 1];
      if (f === undefined || f.buf === null || f.isFull()) f = this.rollIndexFile();
      f.putKey(key, phy, storeTs);
    }
  }

  private rollIndexFile(): IndexFile {
    const core = this.core;
    const f = core.indexFiles[core.indexFiles.length - 1];
    if (f !== undefined && f.buf !== null) this.retireIndexFile(f);
    const next = IndexFile.create(path.join(core.root, 'index'), Date.now(), core.config.maxHashSlotNum, core.config.maxIndexNum);
    core.indexFiles.push(next);
    return next;
  }

  /** Hands [indexedPos, dispatchedPos) to the DISPATCH pool; one task at a time, in log order. */
  private scheduleIndex(now = false): void {
    const core = this.core;
    if (!core.config.messageIndexEnable) { core.indexedPos = core.dispatchedPos; return; }
    if (this.indexTask !== null || this.indexPool === null || core.indexedPos >= core.dispatchedPos) return;
    if (!now && core.dispatchedPos - core.indexedPos < INDEX_TASK_BYTES_MIN) {
      if (this.indexTimer === null) {
        this.indexTimer = setTimeout(() => { this.indexTimer = null; this.scheduleIndex(true); }, INDEX_BATCH_DELAY_MS);
        this.indexTimer.unref();
      }
      return;
    }
    if (this.indexTimer !== null) { clearTimeout(this.indexTimer); this.indexTimer = null; }
    let f = core.indexFiles[core.indexFiles.length - 1];
    if (f === undefined || f.buf === null || f.isFull()) f = this.rollIndexFile();
    const from = core.indexedPos;
    // bounded tasks: only their pages are pinned; a lagging index reads older bytes from the files
    const to = Math.min(core.dispatchedPos, from + INDEX_TASK_BYTES_MAX);
    const cl = core.commitLog;
    cl.pin(from, to + core.maxRecordBytes);
    const task: IndexTask = {
      pages: cl.pagesFor(from, to + core.maxRecordBytes), commitLogDir: cl.dir, closePaths: core.takeIndexClosePaths(),
      chunkBytes: cl.cache.chunkBytes, fileSize: cl.fileSize, from, to,
      maxRecordBytes: core.maxRecordBytes,
      index: { sab: f.sab!, dirty: f.dirtySab!, hashSlotNum: f.hashSlotNum, indexNum: f.indexNum, header: { ...f.h } },
    };
    const file = f;
    this.indexTask = this.indexPool.run(task).then((res) => {
      this.indexTask = null;
      cl.pin(0, 0);
      cl.committed(cl.committedPos); // pages the task pinned may be dropped now
      file.applyHeader(res.header);
      if (res.error) {
        core.log.error(`index: ${res.error}; records in [${res.reached}, ${to}) are not indexed`);
        core.indexedPos = to;
      } else {
        core.indexedPos = res.reached;
        if (res.full) this.rollIndexFile();
      }
      this.scheduleIndex();
    }, (e: Error) => {
      this.indexTask = null;
      cl.pin(0, 0);
      core.log.error(`index task failed: ${e.message}`);
      core.indexedPos = to;
    });
  }

  /** Shutdown: indexes what is left and waits for the index task chain to settle. */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      this.scheduleIndex(true);
      if (this.indexTask === null) break;
      await this.indexTask;
    }
  }

  /** A full index file: write its pages now (synchronously, rare), then drop the memory copy. */
  private retireIndexFile(f: IndexFile): void {
    const ops: WriteOp[] = [];
    f.takeWriteOps(ops);
    flushInline({ ops, sync: true, closePaths: [f.path] });
    f.release();
  }
}
