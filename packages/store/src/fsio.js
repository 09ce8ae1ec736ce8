// @ts-check
// File calls the store needs beyond node:fs: the N-API addon when it loads, else node:fs equivalents.
// Both sides throw errors carrying `code` (EIO, ENOSPC, ...). Plain JS (checked by tsc) so the worker
// threads load it without a TypeScript loader, from src/ under tap and from dist/ alike.
import * as fs from 'node:fs';
import { native } from '@rmq/native';

export const nativeLoaded = native !== null;

/**
 * dst.set(src, dstPos), through the addon's memcpy for larger copies: V8 copies into a
 * SharedArrayBuffer with per-byte relaxed atomics, several times slower than memcpy.
 * @param {Uint8Array} dst @param {number} dstPos @param {Uint8Array} src
 */
export const copyBytes = native && typeof native.copy === 'function'
  ? (/** @type {Uint8Array} */ dst, /** @type {number} */ dstPos, /** @type {Uint8Array} */ src) => {
    if (src.length >= 64) /** @type {NonNullable<typeof native>} */ (native).copy(dst, dstPos, src, 0, src.length);
    else dst.set(src, dstPos);
  }
  : (/** @type {Uint8Array} */ dst, /** @type {number} */ dstPos, /** @type {Uint8Array} */ src) => { dst.set(src, dstPos); };

/**
 * dst[dstPos..] = src[srcPos, srcPos + length): memcpy through the addon (reads out of shared pages),
 * else Buffer#copy.
 * @param {Buffer} dst @param {number} dstPos @param {Buffer} src @param {number} srcPos @param {number} length
 */
export const copyRange = native && typeof native.copy === 'function'
  ? (/** @type {Buffer} */ dst, /** @type {number} */ dstPos, /** @type {Buffer} */ src, /** @type {number} */ srcPos, /** @type {number} */ length) => {
    /** @type {NonNullable<typeof native>} */ (native).copy(dst, dstPos, src, srcPos, length);
  }
  : (/** @type {Buffer} */ dst, /** @type {number} */ dstPos, /** @type {Buffer} */ src, /** @type {number} */ srcPos, /** @type {number} */ length) => {
    src.copy(dst, dstPos, srcPos, srcPos + length);
  };

/**
 * Copies src into dst at dstPos and returns RocketMQ's body CRC of src (CRC32 & 0x7FFFFFFF), in one
 * native call when the addon is loaded.
 * @type {((dst: Uint8Array, dstPos: number, src: Uint8Array) => number) | null}
 */
export const copyWithCrc = native && typeof native.copyCrc === 'function'
  ? (dst, dstPos, src) => /** @type {NonNullable<typeof native>} */ (native).copyCrc(dst, dstPos, src)
  : null;

/**
 * Backs fresh memory now, in one call, rather than one page fault per 4 KiB on first write; asks for
 * transparent huge pages. A no-op without the addon (the faults then happen on first write).
 * @param {Uint8Array} data
 */
export function prefault(data) {
  if (!native || typeof native.prefault !== 'function') return;
  try { native.prefault(data, true); } catch { /* advisory only */ }
}

/**
 * prefault on a libuv pool thread, then done() on this one; null without the addon. The memory must
 * not be touched before done() runs.
 * @type {((data: Uint8Array, done: () => void) => void) | null}
 */
export const prefaultAsync = native && typeof native.prefaultAsync === 'function'
  ? (data, done) => /** @type {NonNullable<typeof native>} */ (native).prefaultAsync(data, true, done)
  : null;

/** @param {number} fd */
export function fdatasync(fd) {
  if (native) native.fdatasync(fd); else fs.fdatasyncSync(fd);
}

/**
 * Reserves the whole file so later writes cannot hit ENOSPC halfway; a sparse extend without the addon.
 * @param {number} fd @param {number} length
 */
export function preallocate(fd, length) {
  if (native) native.fallocate(fd, 0, length);
  else fs.ftruncateSync(fd, length);
}

/**
 * Page-cache advice; no-op without the addon. 4 = DONTNEED, 2 = SEQUENTIAL.
 * @param {number} fd @param {number} offset @param {number} length @param {number} advice
 */
export function fadvise(fd, offset, length, advice) {
  if (!native) return;
  try { native.fadvise(fd, offset, length, advice); } catch { /* advisory only */ }
}

/**
 * Writes all of data[offset, offset+length) at position (SharedArrayBuffer views included).
 * @param {number} fd @param {Uint8Array} data @param {number} offset @param {number} length @param {number} position
 */
export function pwriteAll(fd, data, offset, length, position) {
  if (native) { native.pwrite(fd, data, offset, length, position); return; }
  let done = 0;
  while (done < length) {
    const n = fs.writeSync(fd, data, offset + done, length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('EIO: short write'), { code: 'EIO' });
    done += n;
  }
}

/**
 * Reads up to length bytes (fewer only at end of file); returns the count.
 * @param {number} fd @param {Uint8Array} data @param {number} offset @param {number} length @param {number} position
 */
export function preadAll(fd, data, offset, length, position) {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, data, offset + done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
