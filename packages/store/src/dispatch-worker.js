// @ts-check
// DISPATCH pool worker: reads new records straight from the shared commit log pages and adds their
// keys (UNIQ_KEY, KEYS) to the IndexFile held in shared memory. The main thread owns positions and
// files; it hands a range and the pages covering it, and gets back how far the index got.
// Plain JS (checked by tsc): workers start without a TypeScript loader.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { indexKeyHash, messageIndexHashes, messageIndexKeys, putIndexHash } from './index-core.js';

/** @typedef {import('./dispatch-types.js').IndexTask} IndexTask */
/** @typedef {import('./dispatch-types.js').IndexResult} IndexResult */

const MESSAGE_MAGIC = 0xdaa320a7 | 0;
const BLANK_MAGIC = 0xcbd43194 | 0;
const ROLLBACK = 0xc;

/** @type {Buffer} */
let scratch = Buffer.alloc(64 * 1024);
/** @type {string[]} */
const keys = [];
/** @type {number[]} */
const hashes = [];
/** @type {Map<string, number>} read-only descriptors of commit log files */
const fds = new Map();
/** @type {Buffer} */
let diskScratch = Buffer.alloc(64 * 1024);

/** @param {string} file */
function fdFor(file) {
  let fd = fds.get(file);
  if (fd === undefined) {
    fd = fs.openSync(file, 'r');
    fds.set(file, fd);
    if (fds.size > 4) {
      const first = /** @type {string} */ (fds.keys().next().value);
      fs.closeSync(/** @type {number} */ (fds.get(first)));
      fds.delete(first);
    }
  }
  return fd;
}

/**
 * @param {IndexTask} task
 * @returns {IndexResult}
 */
export default function indexRange(task) {
  for (const p of task.closePaths ?? []) {
    const fd = fds.get(p);
    if (fd !== undefined) { fds.delete(p); try { fs.closeSync(fd); } catch { /* gone */ } }
  }
  /** @type {Map<number, Buffer>} */
  const pages = new Map();
  for (const p of task.pages) pages.set(p.index, Buffer.from(p.sab));
  const chunk = task.chunkBytes;
  const idx = task.index;
  const dv = new DataView(idx.sab);
  const dirty = new Uint8Array(idx.dirty);
  const h = { ...idx.header };
  let added = 0;

  /** bytes [pos, pos+n) as (buffer, offset), copying when they straddle pages
   * @param {number} pos @param {number} n @returns {[Buffer, number] | null} */
  const bytesAt = (pos, n) => {
    const pi = Math.floor(pos / chunk);
    const off = pos - pi * chunk;
    const page = pages.get(pi);
    if (page === undefined) return fromDisk(pos, n);
    if (off + n <= chunk) return [page, off];
    if (scratch.length < n) scratch = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const i = Math.floor((pos + done) / chunk);
      const o = pos + done - i * chunk;
      const pg = pages.get(i);
      if (pg === undefined) return fromDisk(pos, n);
      const k = Math.min(n - done, chunk - o);
      pg.copy(scratch, done, o, o + k);
      done += k;
    }
    return [scratch, 0];
  };

  /** bytes not resident in shared pages: the main thread only hands ranges below the committed
   * position, so the file has them. @param {number} pos @param {number} n @returns {[Buffer, number] | null} */
  const fromDisk = (pos, n) => {
    const fileStart = pos - (pos % task.fileSize);
    if (diskScratch.length < n) diskScratch = Buffer.alloc(n);
    try {
      const fd = fdFor(path.join(task.commitLogDir, String(fileStart).padStart(20, '0')));
      let done = 0;
      while (done < n) {
        const k = fs.readSync(fd, diskScratch, done, n - done, pos - fileStart + done);
        if (k <= 0) return null;
        done += k;
      }
      return [diskScratch, 0];
    } catch {
      return null;
    }
  };

  let pos = task.from;
  while (pos < task.to) {
    const head = bytesAt(pos, 8);
    if (head === null) return { reached: pos, header: h, full: false, keys: added, error: `page for offset ${pos} missing` };
    const size = head[0].readInt32BE(head[1]);
    const magic = head[0].readInt32BE(head[1] + 4);
    if (magic === BLANK_MAGIC) { pos = pos - (pos % task.fileSize) + task.fileSize; continue; }
    if (magic !== MESSAGE_MAGIC || size < 91 || size > task.maxRecordBytes) {
      return { reached: pos, header: h, full: false, keys: added, error: `bad record at ${pos}` };
    }
    const rec = bytesAt(pos, size);
    if (rec === null) return { reached: pos, header: h, full: false, keys: added, error: `page for offset ${pos} missing` };
    const [b, o] = rec;
    const sysFlag = b.readInt32BE(o + 36);
    if ((sysFlag & ROLLBACK) !== ROLLBACK) {
      const storeTsPos = o + 48 + ((sysFlag & 0x10) ? 20 : 8);
      const storeTs = b.readInt32BE(storeTsPos) * 4294967296 + b.readUInt32BE(storeTsPos + 4);
      const bodyLenPos = storeTsPos + 8 + ((sysFlag & 0x20) ? 20 : 8) + 12;
      const topicPos = bodyLenPos + 4 + b.readInt32BE(bodyLenPos) + 1;
      const topicLen = b[topicPos - 1];
      const propsPos = topicPos + topicLen + 2;
      const propsLen = b.readUInt16BE(propsPos - 2);
      if (propsLen > 0) {
        // ASCII topic and keys (the usual case) are hashed from the bytes, no strings; the rest as strings
        if (!messageIndexHashes(b, topicPos, topicLen, propsPos, propsLen, hashes)) {
          messageIndexKeys(b.toString('utf8', topicPos, topicPos + topicLen), b.toString('utf8', propsPos, propsPos + propsLen), keys);
          hashes.length = 0;
          for (const k of keys) hashes.push(indexKeyHash(k));
        }
        if (hashes.length > 0 && h.indexCount + hashes.length > idx.indexNum) return { reached: pos, header: h, full: true, keys: added };
        for (let k = 0; k < hashes.length; k++) { putIndexHash(dv, dirty, h, idx.hashSlotNum, idx.indexNum, hashes[k], pos, storeTs); added++; }
      }
    }
    pos += size;
  }
  return { reached: pos, header: h, full: false, keys: added };
}
