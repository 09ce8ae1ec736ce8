// FlushService (Apache's FlushCommitLogService + GroupCommitService + FlushConsumeQueueService):
// - commit log writes: the main thread pwrite()s everything appended since the last turn straight
//   from the shared pages to the files, once per turn (a microtask after the appends of one socket
//   read, so one write per read batch, never per message). Once write() returns the bytes are the
//   kernel's: a process kill loses none of them (what Apache's memcpy into an mmap'd page gives).
// - durability: a resident SYNC worker (sync-worker.js) fdatasyncs the files of [flushedPos,
//   committedPos) when asked through an Atomics cell; the main thread awaits it with
//   Atomics.waitAsync. Under SYNC_FLUSH one fdatasync covers every send that arrived while the
//   previous one ran (group commit); under ASYNC_FLUSH it runs every flushIntervalCommitLog ms.
// - ConsumeQueue/IndexFile pages and the checkpoint go through the FLUSH pool (flush-worker.js).
// It feeds the 'flush' ack source of PositionWaiters: committedPos (handed to the OS) under
// ASYNC_FLUSH, flushedPos (fdatasync'd) under SYNC_FLUSH; nothing is acknowledged before that.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { constants as osConstants } from 'node:os';
import type { Piscina } from 'piscina';
import type { FlushResult, FlushTask, WriteOp } from './flush-types.js';
import { CHECKPOINT_SIZE } from './checkpoint.js';
import { pwriteAll } from './fsio.js';
import { sharedPool } from './worker-pool.js';
import type { StoreCore } from './store-core.js';
import type { PositionWaiters } from './position-waiters.js';
import { InvariantError } from './invariant.js';

/** The name of the flush ack source in PositionWaiters. */
export const FLUSH_SOURCE = 'flush';

// The FLUSH pool (logic files and checkpoints), shared by the stores of a process.
const flushPool = sharedPool<FlushTask, FlushResult>(new URL('./flush-worker.js', import.meta.url), 2);

// Control cells shared with sync-worker.js: Int32 REQ, DONE, ERR, DELAY_MS, STOP, SYNC_US; BigInt64 FROM, TO.
const S_REQ = 0, S_DONE = 1, S_ERR = 2, S_DELAY_MS = 3, S_STOP = 4, S_SYNC_US = 5, S_READY = 6;
const S_FROM = 4, S_TO = 5;

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
/** Atomics.waitAsync (Node >= 16; not yet in this TypeScript lib). */
const waitAsync = Reflect.get(Atomics, 'waitAsync') as WaitAsync;

const errnoName = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v as number, k]));

/** The resident fdatasync thread of one store's commit log. */
class SyncWorker {
  private readonly sab = new SharedArrayBuffer(64);
  private readonly i32 = new Int32Array(this.sab);
  private readonly i64 = new BigInt64Array(this.sab);
  private readonly worker: Worker;
  private seq = 0;
  private failedToStart: string | null = null;

  constructor(dir: string, fileSize: number) {
    this.worker = new Worker(new URL('./sync-worker.js', import.meta.url), { workerData: { ctl: this.sab, dir, fileSize }, execArgv: [] });
    this.worker.on('error', (e) => { this.failedToStart = e.message; Atomics.store(this.i32, S_ERR, osConstants.errno.EIO); Atomics.store(this.i32, S_DONE, this.seq); Atomics.notify(this.i32, S_DONE); });
    this.worker.unref();
  }

  /** Resolves once the thread runs its loop (so the first sync does not wait for its start-up). */
  async ready(): Promise<void> {
    this.worker.ref();
    while (Atomics.load(this.i32, S_READY) === 0 && this.failedToStart === null) {
      const w = waitAsync(this.i32, S_READY, 0);
      if (w.async) await Promise.race([w.value, new Promise((r) => setTimeout(r, 50))]);
    }
    this.worker.unref();
  }

  /** fdatasync every commit log file of [from, to); resolves with null or the error code. */
  async sync(from: number, to: number, delayMs: number): Promise<{ error: string | null; syncMs: number }> {
    const i32 = this.i32;
    if (this.failedToStart) return { error: `EIO: sync worker failed: ${this.failedToStart}`, syncMs: 0 };
    Atomics.store(this.i64, S_FROM, BigInt(from));
    Atomics.store(this.i64, S_TO, BigInt(to));
    Atomics.store(i32, S_DELAY_MS, delayMs | 0);
    const seq = ++this.seq;
    Atomics.store(i32, S_REQ, seq);
    Atomics.notify(i32, S_REQ);
    // Atomics.waitAsync does not keep the event loop alive: the worker does while a sync is pending
    this.worker.ref();
    for (;;) {
      const done = Atomics.load(i32, S_DONE);
      if (done === seq) break;
      const w = waitAsync(i32, S_DONE, done);
      if (w.async) await w.value;
    }
    this.worker.unref();
    const err = Atomics.load(i32, S_ERR);
    const syncMs = Atomics.load(i32, S_SYNC_US) / 1000;
    if (err === 0) return { error: null, syncMs };
    const code = errnoName.get(err) ?? 'EIO';
    return { error: `${code}: fdatasync of the commit log failed`, syncMs };
  }

  stop(): void {
    Atomics.store(this.i32, S_STOP, 1);
    Atomics.add(this.i32, S_REQ, 1);
    Atomics.notify(this.i32, S_REQ);
  }
}

export class FlushService {
  private pool: Piscina<FlushTask, FlushResult> | null = null;
  /** SYNC threads: two under SYNC_FLUSH, so a new group's fdatasync starts while the previous one runs; one under ASYNC_FLUSH */
  private syncers: SyncWorker[] = [];
  private idleSyncers: SyncWorker[] = [];
  /** end of the range handed to fdatasync so far (>= flushedPos) */
  private syncSubmittedTo = 0;
  private writeScheduled = false;
  /** a sync in flight: resolves when applied */
  private readonly syncsInFlight = new Set<Promise<void>>();
  private syncRequested = false;
  /** commit log write descriptors by file path (main thread) */
  private readonly fds = new Map<string, number>();
  private cqFlushInFlight: Promise<void> | null = null;
  private lastCheckpointLogic = -1;
  /** when a flush last wrote every dirty queue file */
  private lastThoroughMs = Date.now();
  lastSyncMs = Date.now();
  /** a commit log write failed with ENOSPC (disk-full.ts rolls back and probes); else fail() */
  onWriteEnospc: ((why: string) => void) | null = null;

  constructor(
    private readonly core: StoreCore,
    private readonly waiters: PositionWaiters,
    /** called after the commit log advanced (dispatch what is now on the OS) */
    private readonly onAdvanced: () => void,
    /** an index task in flight: logic pages are flushed between tasks only */
    private readonly indexInFlight: () => Promise<void> | null,
  ) {}

  get started(): boolean { return this.pool !== null; }

  /** After recovery: starts the FLUSH pool and the SYNC thread (resolves once it runs). */
  async start(): Promise<void> {
    // idempotent: replication calls it again after moving an empty slave log's positions (writes
    // start at committedPos and syncs at flushedPos, so nothing else needs resetting)
    const cl = this.core.commitLog;
    if (this.syncers.length > 0) { this.syncSubmittedTo = Math.max(this.syncSubmittedTo, cl.flushedPos); return; }
    this.pool = flushPool();
    this.syncSubmittedTo = cl.flushedPos;
    // SYNC_FLUSH: two, so a group's fdatasync starts while the previous one runs; ASYNC_FLUSH syncs on a
    // timer, one thread does (a worker isolate is ~8-10 MiB of RSS)
    const threads = this.core.config.flushDiskType === 'SYNC_FLUSH' ? 2 : 1;
    this.syncers = Array.from({ length: threads }, () => new SyncWorker(cl.dir, cl.fileSize));
    this.idleSyncers = [...this.syncers];
    await Promise.all(this.syncers.map((w) => w.ready()));
  }

  /** The position this store acknowledges sends at under its flush mode. */
  ackPosition(): number {
    const cl = this.core.commitLog;
    return this.core.config.flushDiskType === 'ASYNC_FLUSH' ? cl.committedPos : cl.flushedPos;
  }

  /** ASYNC_FLUSH timer: fdatasync what was written. */
  requestSync(): void { this.syncRequested = true; this.schedule(); }

  /** After appends: write them out at the end of this turn (one write for the whole batch). */
  schedule(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    // a microtask: after the appends of this socket read, before the loop moves on (a setImmediate per
    // loop iteration was measured: no CPU difference within the noise here, one loop turn more latency)
    queueMicrotask(this.runBound);
  }
  private readonly runBound = () => { this.writeScheduled = false; this.run(); };

  private fdFor(p: string): number {
    let fd = this.fds.get(p);
    if (fd === undefined) {
      fd = fs.openSync(p, fs.constants.O_RDWR);
      this.fds.set(p, fd);
    }
    return fd;
  }

  private closeDeleted(): void {
    const paths = this.core.takeClosePaths();
    if (paths === undefined) return;
    for (const p of paths) {
      const fd = this.fds.get(p);
      if (fd !== undefined) { this.fds.delete(p); try { fs.closeSync(fd); } catch { /* gone */ } }
    }
  }

  /** Writes [committedPos, writePos) to the files (main thread); throws the I/O error. */
  private writeOut(from: number, to: number): void {
    const core = this.core;
    const ops = core.commitLog.writeOps(from, to);
    const fault = core.testHooks.failNextWrite;
    core.testHooks.failNextWrite = null;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const view = new Uint8Array(op.sab);
      if (fault && i === 0) {
        pwriteAll(this.fdFor(op.path), view, op.sabOffset, op.length >> 1, op.fileOffset);
        throw Object.assign(new Error(`${fault}: injected write failure, write`), { code: fault });
      }
      pwriteAll(this.fdFor(op.path), view, op.sabOffset, op.length, op.fileOffset);
    }
    core.stats.flushTasks++;
  }

  /** Refuses writes from now on (until restart) and fails the sends waiting for an ack. */
  fail(why: string): void {
    this.core.markUnwritable(why);
    this.waiters.failAll('SERVICE_NOT_AVAILABLE', `write failed: ${why}`);
  }

  /**
   * One turn: write what was appended (handed to the OS), advance the ack position under ASYNC_FLUSH,
   * dispatch it, and start an fdatasync when the mode needs one and none is running. Anything it
   * throws (a position invariant) stops the store's writes instead of reaching the event loop.
   */
  run(): void {
    try { this.turn(); } catch (e) { this.fail((e as Error).message); }
  }

  private turn(): void {
    const core = this.core;
    const cl = core.commitLog;
    if (!core.writable || this.pool === null) return;
    this.closeDeleted();
    const target = cl.writePos;
    if (target > cl.committedPos) {
      try { this.writeOut(cl.committedPos, target); } catch (e) {
        if (e instanceof InvariantError) throw e;
        const err = e as NodeJS.ErrnoException;
        // (a slave's log is written by replication, records may straddle its write position: not rolled back)
        if (err.code === 'ENOSPC' && this.onWriteEnospc !== null && core.readOnlyReason === null) this.onWriteEnospc(`ENOSPC: ${err.message}`);
        else this.fail(`${err.code ?? 'EIO'}: ${err.message}`);
        return;
      }
      cl.committed(target);
      core.lastStoreTs.committed = core.lastStoreTs.append;
      if (core.config.flushDiskType === 'ASYNC_FLUSH') this.waiters.advance(FLUSH_SOURCE, cl.committedPos);
      this.onAdvanced();
    }
    this.maybeSync();
  }

  /**
   * Starts an fdatasync of [flushedPos, committedPos) on an idle SYNC thread when the mode needs one.
   * Two may run at once (the second covers what was written while the first runs); either one's
   * completion makes everything below its end durable (fdatasync covers the whole file), so they
   * may complete in any order: flushedPos only moves forward.
   */
  private maybeSync(): void {
    const core = this.core;
    const cl = core.commitLog;
    if (this.idleSyncers.length === 0 || !core.writable) return;
    if (this.syncSubmittedTo >= cl.committedPos) { if (this.syncsInFlight.size === 0) this.syncRequested = false; return; }
    if (core.config.flushDiskType === 'ASYNC_FLUSH' && !this.syncRequested) return;
    this.syncRequested = false;
    const worker = this.idleSyncers.pop()!;
    const from = cl.flushedPos, to = cl.committedPos, storeTs = core.lastStoreTs.committed;
    this.syncSubmittedTo = to;
    const p: Promise<void> = worker.sync(from, to, core.testHooks.flushDelayMs).then((r) => {
      this.syncsInFlight.delete(p);
      this.idleSyncers.push(worker);
      if (r.error !== null) { this.fail(r.error); return; }
      try { this.synced(to, storeTs, r.syncMs); } catch (e) { this.fail((e as Error).message); }
    });
    this.syncsInFlight.add(p);
  }

  /** An fdatasync of [.., to) completed: flushedPos moves there (asserted: not past committedPos). */
  private synced(to: number, storeTs: number, syncMs: number): void {
    const core = this.core;
    const cl = core.commitLog;
    // (bytes below committedPos stay valid while the disk is full: their sync still counts)
    if (!core.writable && !core.diskFull) return;
    if (to <= cl.flushedPos) { this.maybeSync(); return; }
    cl.flushed(to);
    this.lastSyncMs = Date.now();
    core.lastStoreTs.flushed = storeTs;
    core.stats.syncs++; core.stats.syncMsTotal += syncMs;
    if (core.config.flushDiskType === 'SYNC_FLUSH') {
      this.waiters.advance(FLUSH_SOURCE, cl.flushedPos);
      this.onAdvanced(); // the ack position moved (replication listens)
      // group commit: everything written while this one ran goes in the next fdatasync
      this.maybeSync();
    }
  }

  /** Writable again after a full disk: what is written but not yet synced gets synced again. */
  resume(): void {
    this.syncSubmittedTo = Math.min(this.syncSubmittedTo, this.core.commitLog.flushedPos);
    this.syncRequested = true;
    this.schedule();
  }

  /** Resolves once the sync in flight (if any) is applied. */
  async drain(): Promise<void> {
    while (this.syncsInFlight.size > 0) await Promise.all([...this.syncsInFlight]);
  }

  /** Shutdown: the commit log to disk (as far as it is writable). */
  async drainToDisk(): Promise<void> {
    const cl = this.core.commitLog;
    for (let i = 0; i < 100; i++) {
      await this.drain();
      if (!this.core.writable || cl.flushedPos >= cl.writePos) break;
      this.syncRequested = true;
      this.run();
      await this.drain();
    }
  }

  /**
   * Writes dirty ConsumeQueue/IndexFile pages, syncs them, then the checkpoint that vouches for them.
   * periodic: a timer's flush, which holds back queue files with fewer than flushConsumeQueueLeastPages
   * dirty pages (with 1024 queues, one fdatasync per queue per second was ~10 % of a core) except
   * every flushConsumeQueueThoroughInterval ms; the checkpoint then vouches only below the first
   * held-back entry, so recovery rebuilds those entries from the commit log.
   */
  async flushLogic(periodic = false): Promise<void> {
    // a periodic flush joins one in flight; any other waits for it and then writes everything
    if (periodic && this.cqFlushInFlight) return this.cqFlushInFlight;
    while (this.cqFlushInFlight) await this.cqFlushInFlight;
    // index pages are written between dispatch tasks only, so the disk never holds half a task
    const idx = this.indexInFlight();
    if (idx) await idx;
    if (this.cqFlushInFlight) return periodic ? this.cqFlushInFlight : this.flushLogic(false);
    if (this.pool === null) return;
    const core = this.core;
    const ops: WriteOp[] = [];
    const now = Date.now();
    const thorough = !periodic || now - this.lastThoroughMs >= core.config.flushConsumeQueueThoroughInterval;
    if (thorough) this.lastThoroughMs = now;
    const held = core.collectLogicOps(ops, thorough ? 0 : core.config.flushConsumeQueueLeastPages);
    const logic = Math.min(core.dispatchedPos, core.indexedPos, held);
    if (ops.length === 0 && logic === this.lastCheckpointLogic) return;
    // the checkpoint image is filled when the task is built, so it never claims more than the ops carry
    const cpSab = new SharedArrayBuffer(CHECKPOINT_SIZE);
    core.fillCheckpointImage(cpSab, logic);
    const cp = core.checkpointOp(cpSab);
    this.cqFlushInFlight = this.pool.run({ ops, sync: true, afterSync: [cp] }).then((res) => {
      this.cqFlushInFlight = null;
      if (!res.ok) { core.log.error(`consume queue/index flush failed: ${res.error}`); return; }
      this.lastCheckpointLogic = logic;
    }, (e: Error) => { this.cqFlushInFlight = null; core.log.error(`consume queue/index flush failed: ${e.message}`); });
    return this.cqFlushInFlight;
  }

  /** Awaits a logic flush in flight, if any. */
  async logicFlushSettled(): Promise<void> { if (this.cqFlushInFlight) await this.cqFlushInFlight; }

  stop(): void {
    this.pool = null;
    for (const w of this.syncers) w.stop();
    this.syncers = [];
    this.idleSyncers = [];
    for (const fd of this.fds.values()) { try { fs.closeSync(fd); } catch { /* gone */ } }
    this.fds.clear();
  }
}
