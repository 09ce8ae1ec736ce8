// FLUSH pool worker: writes ranges of shared pages to their files and makes them durable. The main
// thread owns every page and position; a task names what to write, the worker only does the I/O, so
// the event loop never blocks on write(2) or fdatasync(2). Positions reach the main thread through the
// task result and the control SAB (Atomics.store), never by copying data.
import * as fs from 'node:fs';
import { fdatasync, pwriteAll } from './fsio.js';

export interface WriteOp {
  path: string;
  fileOffset: number;
  sab: SharedArrayBuffer;
  sabOffset: number;
  length: number;
}
export interface FlushTask {
  ops: WriteOp[];
  /** fdatasync every file written by this task (and the extra paths) after the writes. */
  sync: boolean;
  syncPaths?: string[];
  /** ops written after the first sync, then synced (checkpoint after the pages it describes). */
  afterSync?: WriteOp[];
  closePaths?: string[];
  /** control SAB slot to publish the reached position into (BigInt64Array index) once done. */
  control?: SharedArrayBuffer;
  publish?: { committedIndex: number; flushedIndex: number; position: number };
  /** test hook: fail with this errno code after writing half of the first op. */
  fault?: string | null;
}
export interface FlushResult { ok: boolean; error?: string; code?: string; bytes: number; syncMs: number }

const fds = new Map<string, number>();

function fdFor(path: string): number {
  let fd = fds.get(path);
  if (fd === undefined) {
    fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    fds.set(path, fd);
    if (fds.size > 256) {
      const first = fds.keys().next().value as string;
      if (first !== path) { fs.closeSync(fds.get(first)!); fds.delete(first); }
    }
  }
  return fd;
}

function writeOps(ops: WriteOp[], touched: Set<string>, fault: string | null | undefined): number {
  let bytes = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const view = new Uint8Array(op.sab);
    if (fault && i === 0) {
      const half = op.length >> 1;
      pwriteAll(fdFor(op.path), view, op.sabOffset, half, op.fileOffset);
      throw Object.assign(new Error(`${fault}: injected write failure, write`), { code: fault });
    }
    pwriteAll(fdFor(op.path), view, op.sabOffset, op.length, op.fileOffset);
    touched.add(op.path);
    bytes += op.length;
  }
  return bytes;
}

export default function flush(task: FlushTask): FlushResult {
  for (const p of task.closePaths ?? []) {
    const fd = fds.get(p);
    if (fd !== undefined) { fds.delete(p); try { fs.closeSync(fd); } catch { /* already gone */ } }
  }
  const touched = new Set<string>();
  let syncMs = 0;
  try {
    let bytes = writeOps(task.ops, touched, task.fault);
    if (task.sync) {
      for (const p of task.syncPaths ?? []) touched.add(p);
      const t0 = performance.now();
      for (const p of touched) fdatasync(fdFor(p));
      syncMs = performance.now() - t0;
    }
    if (task.afterSync && task.afterSync.length > 0) {
      const t2 = new Set<string>();
      bytes += writeOps(task.afterSync, t2, null);
      for (const p of t2) fdatasync(fdFor(p));
    }
    if (task.control && task.publish) {
      const ctl = new BigInt64Array(task.control);
      const pos = BigInt(task.publish.position);
      Atomics.store(ctl, task.publish.committedIndex, pos);
      if (task.sync) Atomics.store(ctl, task.publish.flushedIndex, pos);
      Atomics.notify(ctl, task.publish.committedIndex);
    }
    return { ok: true, bytes, syncMs };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, error: err.message, code: err.code ?? 'EIO', bytes: 0, syncMs };
  }
}
