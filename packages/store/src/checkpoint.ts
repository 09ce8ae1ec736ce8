// StoreCheckpoint: <root>/checkpoint, a 4 KiB file. Bytes 0..24 are Apache's (physicMsgTimestamp,
// logicsMsgTimestamp, indexMsgTimestamp). At 128 we add our own, ignored by Apache: a magic, the commit
// log offset known durable and the commit log offset up to which ConsumeQueue and IndexFile pages
// were durable when the checkpoint was written (recovery re-dispatches from there).
import * as fs from 'node:fs';
import { readInt64, writeInt64 } from './record.js';
import { preadAll } from './fsio.js';

export const CHECKPOINT_SIZE = 4096;
const EXT_AT = 128;
const EXT_MAGIC = 'RMQTSCK1';

export interface CheckpointData {
  physicMsgTimestamp: number; logicsMsgTimestamp: number; indexMsgTimestamp: number;
  ext: { flushedPhyOffset: number; logicPhyOffset: number } | null;
}

export function readCheckpoint(path: string): CheckpointData | null {
  if (!fs.existsSync(path)) return null;
  const b = Buffer.alloc(CHECKPOINT_SIZE);
  const fd = fs.openSync(path, 'r');
  try { preadAll(fd, b, 0, CHECKPOINT_SIZE, 0); } finally { fs.closeSync(fd); }
  const hasExt = b.toString('latin1', EXT_AT, EXT_AT + 8) === EXT_MAGIC;
  return {
    physicMsgTimestamp: readInt64(b, 0), logicsMsgTimestamp: readInt64(b, 8), indexMsgTimestamp: readInt64(b, 16),
    ext: hasExt ? { flushedPhyOffset: readInt64(b, EXT_AT + 8), logicPhyOffset: readInt64(b, EXT_AT + 16) } : null,
  };
}

/** Fills a checkpoint image in a shared buffer (written out by the flush pool). */
export function fillCheckpoint(sab: SharedArrayBuffer, d: CheckpointData): void {
  const b = Buffer.from(sab);
  b.fill(0);
  writeInt64(b, d.physicMsgTimestamp, 0);
  writeInt64(b, d.logicsMsgTimestamp, 8);
  writeInt64(b, d.indexMsgTimestamp, 16);
  if (d.ext) {
    b.write(EXT_MAGIC, EXT_AT, 'latin1');
    writeInt64(b, d.ext.flushedPhyOffset, EXT_AT + 8);
    writeInt64(b, d.ext.logicPhyOffset, EXT_AT + 16);
  }
}
