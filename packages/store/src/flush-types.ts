// The message contract between the main thread and the FLUSH pool (flush-worker.js).

export interface WriteOp {
  path: string;
  fileOffset: number;
  sab: SharedArrayBuffer;
  sabOffset: number;
  length: number;
}
export interface FlushTask {
  ops: WriteOp[];
  /** fdatasync every file written by this task (and syncPaths) after the writes. */
  sync: boolean;
  syncPaths?: string[];
  /** ops written after the first sync, then synced (a checkpoint after the pages it describes). */
  afterSync?: WriteOp[];
  /** files deleted by retention: close cached descriptors. */
  closePaths?: string[];
  /** control SAB (BigInt64Array) to publish the reached position into once done. */
  control?: SharedArrayBuffer;
  publish?: { committedIndex: number; flushedIndex: number; position: number };
  /** test hook: fail with this errno code after writing half of the first op. */
  fault?: string | null;
  /** test hook: a slow disk, milliseconds to stall before the writes. */
  delayMs?: number;
}
export interface FlushResult { ok: boolean; error?: string; code?: string; bytes: number; syncMs: number }
