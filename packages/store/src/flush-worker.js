// @ts-check
// FLUSH pool worker: writes ranges of shared pages to their files and makes them durable. The main
// thread owns every page and position; a task names what to write, the worker only does the I/O, so
// the event loop never blocks on write(2) or fdatasync(2). The reached position goes back through the
// control SAB (Atomics.store + notify) and the task result, never by copying data.
// Plain JS (checked by tsc): workers start without a TypeScript loader.
import * as fs from 'node:fs';
import { fdatasync, pwriteAll } from './fsio.js';

/** @typedef {import('./flush-types.js').WriteOp} WriteOp */
/** @typedef {import('./flush-types.js').FlushTask} FlushTask */
/** @typedef {import('./flush-types.js').FlushResult} FlushResult */

/** Open descriptors by path, oldest first. */
/** @type {Map<string, number>} */
const fds = new Map();
// Enough for a broker's every queue file (1024 queues of BenchmarkTest and more): a bound below the
// number of files a flush touches made every flush open and close each of them again.
const FD_CACHE_MAX = 4096;

/** @param {number} n closes the n oldest cached descriptors */
function closeOldest(n) {
  for (const [p, fd] of fds) {
    if (n-- <= 0) break;
    fds.delete(p);
    try { fs.closeSync(fd); } catch { /* already gone */ }
  }
}

/** @param {string} path */
function fdFor(path) {
  let fd = fds.get(path);
  if (fd === undefined) {
    if (fds.size >= FD_CACHE_MAX) closeOldest(fds.size - FD_CACHE_MAX + 1);
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if ((code !== 'EMFILE' && code !== 'ENFILE') || fds.size === 0) throw e;
      // the process's descriptor limit: give back half of the cache and try once more
      closeOldest(Math.ceil(fds.size / 2));
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    }
    fds.set(path, fd);
  }
  return fd;
}

/** @param {WriteOp[]} ops @param {Set<string>} touched @param {string | null | undefined} fault */
function writeOps(ops, touched, fault) {
  let bytes = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const view = new Uint8Array(op.sab);
    if (fault && i === 0) {
      pwriteAll(fdFor(op.path), view, op.sabOffset, op.length >> 1, op.fileOffset);
      throw Object.assign(new Error(`${fault}: injected write failure, write`), { code: fault });
    }
    pwriteAll(fdFor(op.path), view, op.sabOffset, op.length, op.fileOffset);
    touched.add(op.path);
    bytes += op.length;
  }
  return bytes;
}

/** @param {BigInt64Array} ctl @param {number} i @param {bigint} v */
function storeMax(ctl, i, v) {
  for (let cur = Atomics.load(ctl, i); cur < v; cur = Atomics.load(ctl, i)) {
    if (Atomics.compareExchange(ctl, i, cur, v) === cur) return;
  }
}

/**
 * @param {FlushTask} task
 * @returns {FlushResult}
 */
export default function flush(task) {
  for (const p of task.closePaths ?? []) {
    const fd = fds.get(p);
    if (fd !== undefined) { fds.delete(p); try { fs.closeSync(fd); } catch { /* already gone */ } }
  }
  if (task.delayMs && task.delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, task.delayMs);
  /** @type {Set<string>} */
  const touched = new Set();
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
      /** @type {Set<string>} */
      const t2 = new Set();
      bytes += writeOps(task.afterSync, t2, null);
      for (const p of t2) fdatasync(fdFor(p));
    }
    if (task.control && task.publish) {
      // two tasks may finish out of order: positions only move forward
      const ctl = new BigInt64Array(task.control);
      const pos = BigInt(task.publish.position);
      storeMax(ctl, task.publish.committedIndex, pos);
      if (task.sync) storeMax(ctl, task.publish.flushedIndex, pos);
      Atomics.notify(ctl, task.publish.committedIndex);
    }
    return { ok: true, bytes, syncMs };
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException} */ (e);
    return { ok: false, error: err.message, code: err.code ?? 'EIO', bytes: 0, syncMs };
  }
}
