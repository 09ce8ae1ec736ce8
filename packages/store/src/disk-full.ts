// DiskFullService: the store's answer to a full disk. When a commit log write (or the creation of
// the next commit log file) fails with ENOSPC, every append not yet handed to the OS is rolled back
// (StoreCore.rollbackUnwritten: write position, dispatch ring, queue offsets), its waiters get
// SERVICE_NOT_AVAILABLE and the store refuses writes, as after any I/O error; reads go on. Unlike
// other errors (EIO: read-only until restart), it then probes for space every second and on a
// refused send (at most every 100 ms): statfs of the commit log directory, the bytes a failed write
// left after the log's end zeroed, a small probe file written and synced. Once that works the store
// is writable again and the log continues where the last whole written record ends.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoreCore } from './store-core.js';
import type { PositionWaiters } from './position-waiters.js';

const PROBE_BYTES = 4096;
const PROBE_MIN_INTERVAL_MS = 100;
export const DISK_FULL_PROBE_INTERVAL_MS = 1000;

export class DiskFullService {
  private lastProbe = 0;
  private readonly probeBuf = Buffer.alloc(PROBE_BYTES, 0x5a);
  lastProbeError: string | null = null;

  constructor(
    private readonly core: StoreCore,
    private readonly waiters: PositionWaiters,
    /** called once writable again (the flush service re-arms its syncs) */
    private readonly onResume: () => void,
  ) {}

  /** A commit log write or file creation failed with ENOSPC: roll back, refuse writes, start probing. */
  enter(why: string): void {
    const core = this.core;
    const wasWritable = core.writable;
    const n = core.rollbackUnwritten();
    this.waiters.failAll('SERVICE_NOT_AVAILABLE', `disk full: ${why}`);
    if (!wasWritable && !core.diskFull) return; // already read-only for another error: stays so
    if (wasWritable) {
      core.log.error(`store is no longer writable: disk full (${why}); ${n} unwritten message(s) rolled back, the log ends at ${core.commitLog.committedPos}; writes resume once space is freed`);
    }
    core.writable = false;
    core.diskFull = true;
    core.lastError = `disk full: ${why}`;
    this.lastProbe = Date.now();
    // what the failed write left after the log's end: zeroed now if possible, else by the probe
    this.zeroPending();
  }

  /** A send was refused while the disk is full: probes (at most every 100 ms); true when writable again. */
  onRefused(now: number): boolean {
    if (now - this.lastProbe < PROBE_MIN_INTERVAL_MS) return false;
    return this.probe(now);
  }

  /** Tries to become writable again; true when it did. */
  probe(now = Date.now()): boolean {
    const core = this.core;
    if (!core.diskFull || core.writable || core.closing) return false;
    this.lastProbe = now;
    const cl = core.commitLog;
    try {
      if (core.testHooks.failProbe) throw Object.assign(new Error(`${core.testHooks.failProbe}: injected probe failure`), { code: core.testHooks.failProbe });
      const st = fs.statfsSync(cl.dir);
      const free = Number(st.bavail) * Number(st.bsize);
      // room for the largest record, and for a new (preallocated) file when the current one cannot take it
      const file = cl.fileFor(cl.writePos);
      const left = file === undefined || file.sealedAt >= 0 ? 0 : file.from + cl.fileSize - cl.writePos;
      const need = Math.min(core.maxRecordBytes, cl.fileSize) + (left < core.maxRecordBytes + 8 ? cl.fileSize : 0);
      if (free < need) throw Object.assign(new Error(`${free} bytes free, ${need} needed`), { code: 'ENOSPC' });
      if (!this.zeroPending()) throw Object.assign(new Error(this.lastProbeError ?? 'cannot zero the unwritten tail'), { code: 'ENOSPC' });
      const p = path.join(cl.dir, '.space-probe');
      const fd = fs.openSync(p, 'w');
      try {
        let done = 0;
        while (done < PROBE_BYTES) done += fs.writeSync(fd, this.probeBuf, done, PROBE_BYTES - done, done);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
        fs.rmSync(p, { force: true });
      }
    } catch (e) {
      this.lastProbeError = (e as Error).message;
      return false;
    }
    this.lastProbeError = null;
    core.diskFull = false;
    core.lastError = null;
    core.writable = true;
    this.onResume();
    core.log.warn(`store is writable again: disk space is available; the commit log continues at ${cl.writePos}`);
    return true;
  }

  private zeroPending(): boolean {
    const core = this.core;
    const z = core.pendingZero;
    if (z === null) return true;
    try {
      core.commitLog.zeroRange(z.from, z.to);
      core.pendingZero = null;
      return true;
    } catch (e) {
      this.lastProbeError = (e as Error).message;
      return false;
    }
  }
}
