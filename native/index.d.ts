/** Synchronous Linux file calls; each throws an Error with `code` ("EIO", "ENOSPC", ...) and `errno`. */
export interface NativeFs {
  fdatasync(fd: number): void;
  fsync(fd: number): void;
  /** Reserve [offset, offset+length) on disk (extends the file); posix_fallocate when unsupported. */
  fallocate(fd: number, offset: number, length: number): void;
  /** advice: see FADV. */
  fadvise(fd: number, offset: number, length: number, advice: number): void;
  /** Exclusive non-blocking flock(2): true when taken, false when held elsewhere; released when fd is closed. */
  flock(fd: number): boolean;
  /** pwrite the bytes [byteOffset, byteOffset+length) of a typed array (SharedArrayBuffer views too) at position. */
  /** memmove src[srcOffset, +length) to dst[dstOffset, ...): fast into SharedArrayBuffer views. */
  copy(dst: ArrayBufferView, dstOffset: number, src: ArrayBufferView, srcOffset: number, length: number): void;
  /** Copies src into dst at dstOffset; returns CRC32(src) & 0x7FFFFFFF (RocketMQ's body CRC). */
  copyCrc(dst: ArrayBufferView, dstOffset: number, src: ArrayBufferView): number;
  /** zlib's CRC-32 of the bytes (PCLMULQDQ folding on x86-64 that has it); useZlib: zlib's own code, for comparison. */
  crc32(data: ArrayBufferView, useZlib?: boolean): number;
  /** Backs the array's memory now (MADV_POPULATE_WRITE; huge: MADV_HUGEPAGE first). true when the kernel did it in one call. */
  prefault(data: ArrayBufferView, huge?: boolean): boolean;
  /** prefault on a libuv pool thread; callback(populated) runs on this thread once done. Leave the memory alone until then. */
  prefaultAsync(data: ArrayBufferView, huge: boolean, callback: (populated: boolean) => void): void;
  pwrite(fd: number, data: ArrayBufferView, byteOffset: number, length: number, position: number): number;
}
/** null when the addon could not be loaded (or RMQ_NATIVE_DISABLE=1). */
export declare const native: NativeFs | null;
export declare const FADV: Readonly<{ NORMAL: 0; RANDOM: 1; SEQUENTIAL: 2; WILLNEED: 3; DONTNEED: 4; NOREUSE: 5 }>;
export default native;
