// Recovery (Apache's recoverNormally / recoverAbnormally): on open, loads the commit log files,
// ConsumeQueues and IndexFiles, scans the commit log from the checkpoint (the whole last file after a
// crash, marked by the 'abort' file), rebuilds missing queue and index entries, truncates the torn
// tail and queue entries beyond it, and makes the rebuilt logic files durable before writes resume.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConsumeQueue } from './consume-queue.js';
import { IndexFile } from './index-file.js';
import { readCheckpoint } from './checkpoint.js';
import type { WriteOp } from './flush-types.js';
import flushInline from './flush-worker.js';
import type { StoreCore } from './store-core.js';
import type { ReputService } from './reput-service.js';

export function recoverStore(core: StoreCore, reput: ReputService): void {
  const cfg = core.config;
  const cl = core.commitLog;
  fs.mkdirSync(core.root, { recursive: true });
  const abortPath = path.join(core.root, 'abort');
  const abnormal = fs.existsSync(abortPath);
  cl.load();
  const cp = readCheckpoint(path.join(core.root, 'checkpoint'));
  loadConsumeQueues(core);
  loadIndexFiles(core);
  const files = cl.files;
  let start = files.length > 0 ? files[Math.max(0, files.length - 3)].from : 0;
  if (cp?.ext) start = Math.min(cp.ext.logicPhyOffset, cp.ext.flushedPhyOffset);
  if (!fs.existsSync(path.join(core.root, 'consumequeue')) && files.length > 0) start = files[0].from;
  // After a crash, verify the whole file the checkpoint points into, as Apache does.
  if (abnormal && files.length > 0) start = Math.max(files[0].from, start - ((start - files[0].from) % cfg.mappedFileSizeCommitLog));
  if (files.length > 0) start = Math.max(start, files[0].from);
  core.log.info(`recovering from commit log offset ${start} (${abnormal ? 'after a crash' : 'after a clean stop'})`);
  let records = 0;
  const end = cl.scan(start, cfg.checkCRCOnRecover, core.maxRecordBytes, (buf, pos, phy, size) => {
    reput.redispatch(buf, pos, phy, size);
    records++;
  }, (m) => core.log.warn(m));
  cl.truncateTo(end, (m) => core.log.warn(m));
  if (files.length === 0) cl.writePos = cl.committedPos = cl.flushedPos = 0;
  const minPhy = cl.minOffset;
  for (const cq of core.cqs) {
    if (cq === undefined) continue;
    truncateQueueTail(core, cq, cl.writePos);
    cq.correctMinOffset(minPhy);
  }
  core.dispatchedPos = cl.writePos;
  core.indexedPos = cl.writePos;
  core.publishPositions();
  // Make the rebuilt queues and index durable before accepting writes.
  const ops: WriteOp[] = [];
  core.collectLogicOps(ops);
  core.fillCheckpointImage();
  flushInline({ ops, sync: true, afterSync: [core.checkpointOp()], closePaths: [] });
  fs.writeFileSync(abortPath, '');
  core.log.info(`recovered: ${records} records scanned, commit log [${cl.minOffset}, ${cl.writePos}), ${core.cqs.filter(Boolean).length} queues`);
}

function truncateQueueTail(core: StoreCore, cq: ConsumeQueue, end: number): void {
  const e = core.entryScratch;
  let q = cq.maxOffset;
  while (q > cq.minOffset && cq.get(q - 1, e) && e[0] + e[1] > end) q--;
  if (q < cq.maxOffset) {
    core.log.warn(`consume queue ${cq.topic}/${cq.queueId}: dropped entries [${q}, ${cq.maxOffset}) beyond the commit log end`);
    cq.truncateFrom(q);
  }
}

function loadConsumeQueues(core: StoreCore): void {
  const dir = path.join(core.root, 'consumequeue');
  if (!fs.existsSync(dir)) return;
  for (const topic of fs.readdirSync(dir)) {
    const tdir = path.join(dir, topic);
    if (!fs.statSync(tdir).isDirectory()) continue;
    for (const q of fs.readdirSync(tdir)) {
      if (!/^\d+$/.test(q)) continue;
      core.queue(topic, Number(q)).load();
    }
  }
}

function loadIndexFiles(core: StoreCore): void {
  const dir = path.join(core.root, 'index');
  fs.mkdirSync(dir, { recursive: true });
  const names = fs.readdirSync(dir).filter((n) => /^\d{17}$/.test(n)).sort();
  for (const n of names) core.indexFiles.push(IndexFile.open(path.join(dir, n), core.config.maxHashSlotNum, core.config.maxIndexNum));
  const last = core.indexFiles[core.indexFiles.length - 1];
  if (last && !last.isFull() && last.hashSlotNum === core.config.maxHashSlotNum) last.openInMemory(true);
}
