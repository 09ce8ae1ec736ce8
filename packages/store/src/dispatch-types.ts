// The message contract between the main thread and the DISPATCH pool (dispatch-worker.js).
import type { IndexHeader } from './index-core.js';

export interface IndexTask {
  /** commit log pages covering [from, to) (pages inside blank file tails may be absent) */
  pages: { index: number; sab: SharedArrayBuffer }[];
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
