// FlushService (Apache's FlushCommitLogService + FlushConsumeQueueService): group commit of the
// commit log through the FLUSH pool, and the periodic flush of ConsumeQueue/IndexFile pages with the
// checkpoint that vouches for them. Everything appended since the last submission goes to the pool
// as one task: write(2), then fdatasync when the mode needs it. It feeds the 'flush' ack source of
// PositionWaiters: committedPos (handed to the OS) under ASYNC_FLUSH, flushedPos (on disk) under
// SYNC_FLUSH; nothing is acknowledged before that.
import { Piscina } from 'piscina';
import type { FlushResult, FlushTask, WriteOp } from './flush-types.js';
import { CHECKPOINT_SIZE } from './checkpoint.js';
import { CTL_COMMITTED, CTL_FLUSHED, type StoreCore } from './store-core.js';
import type { PositionWaiters } from './position-waiters.js';

/** The name of the flush ack source in PositionWaiters. */
export const FLUSH_SOURCE = 'flush';

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

interface FlushInFlight { target: number; sync: boolean; storeTs: number; result: FlushResult | null; done: Promise<void> }

export class FlushService {
  private pool: Piscina<FlushTask, FlushResult> | null = null;
  private flushScheduled = false;
  private flushQueue: FlushInFlight[] = [];
  /** end of the bytes handed to flush tasks (>= committedPos) */
  private submittedPos = 0;
  private syncSubmittedPos = 0;
  private syncRequested = false;
  private cqFlushInFlight: Promise<void> | null = null;
  private lastCheckpointLogic = -1;
  lastSyncMs = Date.now();

  constructor(
    private readonly core: StoreCore,
    private readonly waiters: PositionWaiters,
    /** called after the commit log advanced (dispatch what is now on the OS) */
    private readonly onAdvanced: () => void,
    /** an index task in flight: logic pages are flushed between tasks only */
    private readonly indexInFlight: () => Promise<void> | null,
  ) {}

  get started(): boolean { return this.pool !== null; }

  /** After recovery: positions are where the commit log ends. */
  start(): void {
    const cl = this.core.commitLog;
    this.submittedPos = this.syncSubmittedPos = cl.writePos;
    this.pool = flushPool();
  }

  /** The position this store acknowledges sends at under its flush mode. */
  ackPosition(): number {
    const cl = this.core.commitLog;
    return this.core.config.flushDiskType === 'ASYNC_FLUSH' ? cl.committedPos : cl.flushedPos;
  }

  /** ASYNC_FLUSH timer: fdatasync what was written. */
  requestSync(): void { this.syncRequested = true; this.schedule(); }

  schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.runBound);
  }
  private readonly runBound = () => { this.flushScheduled = false; this.run(); };

  /**
   * Group commit: everything appended since the last submission goes to the FLUSH pool as one task
   * (write, then fdatasync when the durability needs it). A second task may start while one writes
   * or syncs (appends that arrive meanwhile), in both modes since both acknowledge on completion;
   * results apply in submission order.
   * (Splitting one group into two concurrent tasks was measured: more CPU and fewer msgs/s here.)
   */
  run(): void {
    const core = this.core;
    const cl = core.commitLog;
    const maxInFlight = 2;
    while (this.flushQueue.length < maxInFlight && core.writable && this.pool !== null) {
      const from = this.submittedPos;
      const target = cl.writePos;
      const sync = core.config.flushDiskType === 'SYNC_FLUSH' ? target > this.syncSubmittedPos : (this.syncRequested && cl.flushedPos < target);
      if (target === from && !sync) return;
      this.syncRequested = false;
      let ops: WriteOp[];
      try { ops = cl.writeOps(from, target); } catch (e) { core.markUnwritable((e as Error).message); return; }
      const syncPaths: string[] = [];
      if (sync) {
        for (let f = cl.fileFor(Math.min(cl.flushedPos, from)); f !== undefined && f.from < target; f = cl.fileFor(f.from + cl.fileSize)) syncPaths.push(f.path);
      }
      const fault = core.testHooks.failNextWrite;
      core.testHooks.failNextWrite = null;
      const task: FlushTask = {
        ops, sync, syncPaths, fault, control: core.control, delayMs: core.testHooks.flushDelayMs,
        publish: { committedIndex: CTL_COMMITTED, flushedIndex: CTL_FLUSHED, position: target },
        closePaths: core.takeClosePaths(),
      };
      const entry: FlushInFlight = { target, sync, storeTs: core.lastAppendStoreTs, result: null, done: Promise.resolve() };
      core.stats.flushTasks++;
      this.submittedPos = target;
      if (sync) this.syncSubmittedPos = target;
      entry.done = this.pool.run(task).then(
        (res) => this.onDone(entry, res),
        (e: Error) => this.onDone(entry, { ok: false, error: e.message, code: 'EIO', bytes: 0, syncMs: 0 }),
      );
      this.flushQueue.push(entry);
    }
  }

  private onDone(entry: FlushInFlight, res: FlushResult): void {
    entry.result = res;
    const core = this.core;
    const cl = core.commitLog;
    let advanced = false;
    while (this.flushQueue.length > 0 && this.flushQueue[0].result !== null) {
      const e = this.flushQueue.shift()!;
      const r = e.result!;
      if (!r.ok) {
        core.markUnwritable(`${r.code}: ${r.error}`);
        this.waiters.failAll('SERVICE_NOT_AVAILABLE', `write failed: ${r.error}`);
        this.flushQueue.length = 0;
        return;
      }
      if (!core.writable) continue;
      cl.committed(e.target);
      core.lastCommittedStoreTs = e.storeTs;
      if (e.sync) {
        cl.flushedPos = e.target; this.lastSyncMs = Date.now(); core.lastFlushedStoreTs = e.storeTs;
        core.stats.syncs++; core.stats.syncMsTotal += r.syncMs;
      }
      advanced = true;
    }
    if (!advanced || !core.writable) return;
    this.waiters.advance(FLUSH_SOURCE, this.ackPosition());
    this.onAdvanced();
    this.run();
  }

  /** Resolves once every submitted flush task is applied. */
  async drain(): Promise<void> {
    // Wait on the head: entries leave the queue only in order, once the head is done. The last one
    // can finish first (two workers); awaiting its settled promise again and again was a microtask
    // loop that starved the event loop, so the head's result never arrived (shutdown hung forever).
    while (this.flushQueue.length > 0) await this.flushQueue[0].done;
  }

  /** Shutdown: the commit log to disk (as far as it is writable). */
  async drainToDisk(): Promise<void> {
    const cl = this.core.commitLog;
    for (let i = 0; i < 100; i++) {
      await this.drain();
      if (!this.core.writable || cl.flushedPos >= cl.writePos) break;
      this.syncRequested = true;
      this.run();
    }
  }

  /** Writes dirty ConsumeQueue/IndexFile pages, syncs them, then the checkpoint that vouches for them. */
  async flushLogic(): Promise<void> {
    if (this.cqFlushInFlight) return this.cqFlushInFlight;
    // index pages are written between dispatch tasks only, so the disk never holds half a task
    const idx = this.indexInFlight();
    if (idx) await idx;
    if (this.cqFlushInFlight) return this.cqFlushInFlight;
    if (this.pool === null) return;
    const core = this.core;
    const ops: WriteOp[] = [];
    core.collectLogicOps(ops);
    const logic = Math.min(core.dispatchedPos, core.indexedPos);
    if (ops.length === 0 && logic === this.lastCheckpointLogic) return;
    // the checkpoint image is filled when the task is built, so it never claims more than the ops carry
    const cpSab = new SharedArrayBuffer(CHECKPOINT_SIZE);
    core.fillCheckpointImage(cpSab, logic);
    const cp = core.checkpointOp(cpSab);
    this.cqFlushInFlight = this.pool.run({ ops, sync: true, afterSync: [cp], closePaths: core.takeClosePaths() }).then((res) => {
      this.cqFlushInFlight = null;
      if (!res.ok) { core.log.error(`consume queue/index flush failed: ${res.error}`); return; }
      this.lastCheckpointLogic = logic;
    }, (e: Error) => { this.cqFlushInFlight = null; core.log.error(`consume queue/index flush failed: ${e.message}`); });
    return this.cqFlushInFlight;
  }

  /** Awaits a logic flush in flight, if any. */
  async logicFlushSettled(): Promise<void> { if (this.cqFlushInFlight) await this.cqFlushInFlight; }

  stop(): void { this.pool = null; }
}
