// @ts-check
// SYNC worker: one resident thread per store that makes the commit log durable. The main thread
// writes records to the files itself (pwrite: "handed to the OS"); this thread only fdatasyncs. It
// waits on an Atomics cell for a request [from, to), syncs every commit log file that range touches,
// publishes the result and notifies; the main thread learns of it through Atomics.waitAsync. No task
// objects, no messages per turn. Plain JS (checked by tsc): workers start without a TypeScript loader.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import { workerData } from 'node:worker_threads';
import { fdatasync } from './fsio.js';

// Int32 cells of the control SAB (see sync-types in flush-service.ts)
const REQ = 0, DONE = 1, ERR = 2, DELAY_MS = 3, STOP = 4, SYNC_US = 5, READY = 6;
// BigInt64 cells
const FROM = 4, TO = 5;

/** @type {{ ctl: SharedArrayBuffer; dir: string; fileSize: number }} */
const data = workerData;
const i32 = new Int32Array(data.ctl);
const i64 = new BigInt64Array(data.ctl);
/** @type {Map<number, number>} file start offset -> fd */
const fds = new Map();

/** @param {number} from */
function fdFor(from) {
  let fd = fds.get(from);
  if (fd === undefined) {
    fd = fs.openSync(path.join(data.dir, String(from).padStart(20, '0')), fs.constants.O_RDWR);
    fds.set(from, fd);
  }
  return fd;
}

/** @param {string | undefined} code */
function errnoOf(code) {
  const n = code ? /** @type {Record<string, number>} */ (osConstants.errno)[code] : undefined;
  return typeof n === 'number' && n > 0 ? n : /** @type {number} */ (osConstants.errno.EIO);
}

Atomics.store(i32, READY, 1);
Atomics.notify(i32, READY);
let seen = 0;
for (;;) {
  Atomics.wait(i32, REQ, seen);
  if (Atomics.load(i32, STOP) !== 0) break;
  seen = Atomics.load(i32, REQ);
  const from = Number(Atomics.load(i64, FROM));
  const to = Number(Atomics.load(i64, TO));
  const delay = Atomics.load(i32, DELAY_MS);
  if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
  const t0 = performance.now();
  let err = 0;
  try {
    const first = Math.floor(from / data.fileSize) * data.fileSize;
    for (let f = first; f < to; f += data.fileSize) fdatasync(fdFor(f));
    // files before the first one still written are durable: their descriptors go (retention deletes them)
    for (const [f, fd] of fds) if (f < first) { fds.delete(f); try { fs.closeSync(fd); } catch { /* gone */ } }
  } catch (e) {
    err = errnoOf(/** @type {NodeJS.ErrnoException} */ (e).code);
  }
  Atomics.store(i32, SYNC_US, Math.min(0x7fffffff, Math.round((performance.now() - t0) * 1000)));
  Atomics.store(i32, ERR, err);
  Atomics.store(i32, DONE, seen);
  Atomics.notify(i32, DONE);
}
for (const fd of fds.values()) { try { fs.closeSync(fd); } catch { /* gone */ } }
