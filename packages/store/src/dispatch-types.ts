// The message contract between the main thread and the DISPATCH pool (dispatch-worker.js).
import type { IndexHeader } from './index-core.js';

export interface IndexTask {
  /** resident commit log pages covering [from, to); other bytes (below the committed position) are read from the files */
  pages: { index: number; sab: SharedArrayBuffer }[];
  commitLogDir: string;
  /** files removed by retention: close cached descriptors */
  closePaths?: string[];
  chunkBytes: number;
  fileSize: number;
  from: number;
  to: number;
  maxRecordBytes: number;
  index: { sab: SharedArrayBuffer; dirty: SharedArrayBuffer; hashSlotNum: number; indexNum: number; header: IndexHeader };
}
export interface IndexResult {
  /** commit log offset up to which records are indexed */
  reached: number;
  header: IndexHeader;
  /** the index file cannot take the next record's keys: roll to a new file and resubmit from reached */
  full: boolean;
  keys: number;
  error?: string;
}
