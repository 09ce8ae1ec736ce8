// File calls the store needs beyond node:fs: the N-API addon when it loads, else node:fs equivalents.
// Both sides throw errors carrying `code` (EIO, ENOSPC, ...).
import * as fs from 'node:fs';
import { native } from '@rmq/native';

export const nativeLoaded = native !== null;

export function fdatasync(fd: number): void {
  if (native) native.fdatasync(fd); else fs.fdatasyncSync(fd);
}

/** Reserves the whole file so later writes cannot hit ENOSPC halfway; a sparse extend without the addon. */
export function preallocate(fd: number, length: number): void {
  if (native) native.fallocate(fd, 0, length);
  else fs.ftruncateSync(fd, length);
}

/** Page-cache advice; no-op without the addon. 4 = DONTNEED, 2 = SEQUENTIAL. */
export function fadvise(fd: number, offset: number, length: number, advice: number): void {
  if (!native) return;
  try { native.fadvise(fd, offset, length, advice); } catch { /* advisory only */ }
}

/** Writes all of data[offset, offset+length) at position (SharedArrayBuffer views included). */
export function pwriteAll(fd: number, data: Uint8Array, offset: number, length: number, position: number): void {
  if (native) { native.pwrite(fd, data, offset, length, position); return; }
  let done = 0;
  while (done < length) {
    const n = fs.writeSync(fd, data, offset + done, length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('EIO: short write'), { code: 'EIO' });
    done += n;
  }
}

/** Reads exactly length bytes (fewer only at end of file); returns the count. */
export function preadAll(fd: number, data: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, data, offset + done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
