// CleanService (Apache's CleanCommitLogService + CleanConsumeQueueService): retention. Deletes whole
// commit log files past fileReservedTime at the deleteWhen hour or when the disk is too full, then
// the ConsumeQueue files and IndexFiles wholly below the commit log's new start; deletes topics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoreCore } from './store-core.js';

export class CleanService {
  constructor(private readonly core: StoreCore) {}

  deleteTopics(topics: string[]): void {
    const core = this.core;
    for (const name of topics) {
      const t = core.topics.get(name);
      if (t === undefined) continue;
      for (const cq of t.queues) {
        if (cq === undefined) continue;
        core.cqs[core.cqId(cq)] = undefined;
        cq.destroy();
      }
      core.topics.delete(name);
      fs.rmSync(path.join(core.root, 'consumequeue', name), { recursive: true, force: true });
    }
  }

  cleanExpiredConsumeQueues(): void {
    const core = this.core;
    const minPhy = core.commitLog.minOffset;
    for (const cq of core.cqs) if (cq !== undefined) cq.deleteExpired(minPhy);
    // index files wholly below the commit log's start
    while (core.indexFiles.length > 1 && core.indexFiles[0].endPhyOffset < minPhy) core.indexFiles.shift()!.destroy();
  }

  /**
   * Deletes whole commit log files older than fileReservedTime hours, oldest first, at the deleteWhen
   * hour or when the disk is fuller than diskMaxUsedSpaceRatio (force: regardless of the hour). Never
   * the file being written, nor one not yet flushed and dispatched. Returns how many were deleted.
   */
  deleteExpiredFiles(nowMs = Date.now(), force = false): number {
    const core = this.core;
    const cfg = core.config;
    const hour = String(new Date(nowMs).getHours()).padStart(2, '0');
    const atHour = cfg.deleteWhen.split(';').map((h) => h.trim().padStart(2, '0')).includes(hour);
    const ratio = this.diskUsedRatio();
    const diskFull = ratio > cfg.diskMaxUsedSpaceRatio;
    if (!force && !atHour && !diskFull) return 0;
    const keepMs = cfg.fileReservedTime * 3600 * 1000;
    const cl = core.commitLog;
    let deleted = 0;
    while (cl.files.length > 1) {
      const f = cl.files[0];
      const end = f.from + cl.fileSize;
      if (end > core.dispatchedPos || end > core.indexedPos || end > cl.flushedPos || end > cl.committedPos) break;
      const mtime = fs.statSync(f.path).mtimeMs;
      if (nowMs - mtime < keepMs && !(diskFull && ratio > 0.9 * 100)) break;
      cl.deleteFirstFile();
      core.pendingClosePaths.push(f.path);
      core.indexClosePaths.push(f.path);
      core.log.info(`retention: deleted commit log file ${f.path}`);
      deleted++;
    }
    if (deleted > 0) this.cleanExpiredConsumeQueues();
    return deleted;
  }

  diskUsedRatio(): number {
    try {
      const s = fs.statfsSync(this.core.root);
      return s.blocks > 0 ? ((s.blocks - s.bfree) / s.blocks) * 100 : 0;
    } catch { return 0; }
  }
}
