// StoreReplication: the byte-level API master/slave replication (HA) needs from the store, with no
// network code (the broker's ha/ services drive it).
//
// Master side: readForTransfer(from, max) returns commit log bytes starting at `from`, as a view over
// the shared page (or the page reloaded from the file when cold), never crossing a page or a file
// boundary, and only below the position this store acknowledges sends at (handed to the OS under
// ASYNC_FLUSH, on disk under SYNC_FLUSH). So a slave never holds bytes that a kill -9 of the master
// could lose, and a restarted master never finds its slave ahead of it with bytes it does not have.
// The zero tail after a file's blank record is sent as zeros (Apache sends the whole file).
//
// Slave side: appendReplicated(phy, bytes) writes the master's bytes verbatim at the same offsets into
// the same file names (byte-identical commit log). Complete records are parsed as they arrive and fed
// to the dispatch ring, so ConsumeQueue and IndexFile entries are built by the same reput/dispatch a
// master uses, once the flush service has handed the bytes to the OS. ackedOffset() is what a slave
// reports to its master: the position its own flush mode vouches for.
import type { StoreCore } from './store-core.js';
import type { FlushService } from './flush-service.js';
import { BLANK_MAGIC_CODE, SysFlag, checkRecord, readInt32, readInt64, recordLayout } from './record.js';
import { invariant } from './invariant.js';

export interface ReplicationListener {
  /** The store's acknowledged position advanced (new bytes may be sent / acked). */
  (ackedOffset: number): void;
}

export class StoreReplication {
  private listeners: ReplicationListener[] = [];
  /** slave: commit log offset up to which records were parsed into the dispatch ring */
  private parsedPos = -1;
  private zeros: Buffer = Buffer.alloc(0);

  constructor(private readonly core: StoreCore, private readonly flush: FlushService) {}

  get mappedFileSize(): number { return this.core.commitLog.fileSize; }
  /** End of the commit log (appended bytes, acknowledged or not). */
  maxPhyOffset(): number { return this.core.commitLog.writePos; }
  minPhyOffset(): number { return this.core.commitLog.minOffset; }
  /** The position this store acknowledges: what a master may send, what a slave reports. */
  ackedOffset(): number { return this.flush.ackPosition(); }
  /** True when the commit log holds no file yet. */
  isEmpty(): boolean { return this.core.commitLog.files.length === 0; }

  /** Called with the new acknowledged position each time the flush service advances it. */
  onAdvance(cb: ReplicationListener): () => void {
    this.listeners.push(cb);
    return () => { this.listeners = this.listeners.filter((l) => l !== cb); };
  }

  /** Facade hook: the flush service advanced. */
  advanced(): void {
    if (this.listeners.length === 0) return;
    const pos = this.ackedOffset();
    for (const l of this.listeners) {
      try { l(pos); } catch (e) { this.core.log.error(`replication listener: ${(e as Error).message}`); }
    }
  }

  /** Refuses (or again accepts) ordinary puts: a slave's log is written by replication only. */
  setReadOnly(reason: string | null): void { this.core.readOnlyReason = reason; }

  /**
   * Up to maxBytes of commit log bytes from `from`: a view (no copy) when they sit in one resident
   * page. null when nothing is available there yet (or `from` is below the first file).
   */
  readForTransfer(from: number, maxBytes: number): Buffer | null {
    const cl = this.core.commitLog;
    const limit = this.ackedOffset();
    try {
      invariant(limit <= cl.writePos, 'the acknowledged position never passes the write position', 'ackedPos,writePos', limit, cl.writePos);
    } catch (e) {
      this.core.log.error(`replication: ${(e as Error).message}; nothing sent`);
      return null;
    }
    if (from >= limit || from < cl.minOffset || maxBytes <= 0) return null;
    const file = cl.fileFor(from);
    if (file === undefined) return null;
    const fileEnd = file.from + cl.fileSize;
    if (file.sealedAt >= 0 && from >= file.sealedAt) {
      const n = Math.min(maxBytes, fileEnd - from);
      if (this.zeros.length < n) this.zeros = Buffer.alloc(Math.max(n, 32 * 1024));
      return this.zeros.subarray(0, n);
    }
    const chunk = cl.cache.chunkBytes;
    const pageEnd = (Math.floor(from / chunk) + 1) * chunk;
    const end = Math.min(from + maxBytes, limit, file.sealedAt >= 0 ? file.sealedAt : fileEnd, pageEnd);
    if (end <= from) return null;
    return cl.read(from, end - from);
  }

  /**
   * Slave: appends bytes [start, start+length) of data at commit log offset phy. phy must be the end
   * of this log (or, on an empty log, a file start). Returns null, or why the bytes were refused (the
   * caller then drops the connection and reports its offset again).
   */
  appendReplicated(phy: number, data: Uint8Array, start = 0, length = data.length - start): string | null {
    const core = this.core;
    const cl = core.commitLog;
    if (!core.writable) return `store is not writable: ${core.lastError}`;
    if (core.closing) return 'store is shutting down';
    if (length <= 0) return null;
    if (cl.files.length === 0) {
      if (phy % cl.fileSize !== 0) return `an empty log starts at a file boundary, not at ${phy}`;
      if (phy !== cl.writePos) {
        // first bytes of a slave that starts at the master's current file (as Apache's master sends)
        cl.writePos = cl.committedPos = cl.flushedPos = phy;
        core.dispatchedPos = core.indexedPos = phy;
        this.flush.start();
        core.publishPositions();
      }
      this.parsedPos = phy;
    } else if (phy !== cl.writePos) {
      return `offset ${phy} is not the end of this commit log (${cl.writePos})`;
    }
    if (this.parsedPos < 0) this.parsedPos = cl.writePos;
    const chunk = cl.cache.chunkBytes;
    let done = 0;
    try {
      while (done < length) {
        const pos = cl.writePos;
        let file = cl.fileFor(pos);
        if (file === undefined) {
          cl.prepare(0); // creates the next file (the previous one is full)
          file = cl.fileFor(cl.writePos);
          if (file === undefined || cl.writePos !== pos) return `cannot create the commit log file for offset ${pos}`;
        }
        const fileEnd = file.from + cl.fileSize;
        if (file.sealedAt >= 0 && pos >= file.sealedAt) {
          // the zero tail after a blank record: the file holds zeros there already
          const skip = Math.min(length - done, fileEnd - pos);
          cl.writePos = pos + skip;
          done += skip;
          continue;
        }
        const pageEnd = (Math.floor(pos / chunk) + 1) * chunk;
        const n = Math.min(length - done, fileEnd - pos, pageEnd - pos);
        cl.target(pos, n);
        cl.tBuf.set(data.subarray(start + done, start + done + n), cl.tPos);
        cl.finish(pos, n);
        done += n;
        const err = this.parse();
        if (err !== null) return err;
      }
    } catch (e) {
      core.markUnwritable((e as Error).message);
      return (e as Error).message;
    }
    this.flush.schedule();
    return null;
  }

  /** Feeds complete records in [parsedPos, writePos) to the dispatch ring. */
  private parse(): string | null {
    const core = this.core;
    const cl = core.commitLog;
    const end = cl.writePos;
    while (this.parsedPos + 8 <= end) {
      const at = this.parsedPos;
      const file = cl.fileFor(at);
      if (file === undefined) return `no file for offset ${at}`;
      const fileEnd = file.from + cl.fileSize;
      if (file.sealedAt >= 0 && at >= file.sealedAt) { this.parsedPos = Math.min(fileEnd, end); if (this.parsedPos < fileEnd) break; continue; }
      const head = cl.read(at, 8);
      if (head === null) return `cannot read offset ${at}`;
      const size = readInt32(head, 0);
      const magic = readInt32(head, 4);
      if (magic === BLANK_MAGIC_CODE) {
        file.sealedAt = at + 8;
        this.parsedPos = Math.min(fileEnd, end);
        continue;
      }
      if (size < 91 || size > core.maxRecordBytes || at + size > fileEnd) return `bad record size ${size} at offset ${at}`;
      if (at + size > end) break; // the rest of the record comes with the next frame
      const rec = cl.read(at, size)!;
      const r = checkRecord(rec, 0, size, false, core.maxRecordBytes);
      if (r.kind !== 'ok') return `replicated record at offset ${at} is not valid: ${r.kind === 'corrupt' ? r.reason : r.kind}`;
      const recordPhy = readInt64(rec, 28);
      invariant(recordPhy === at, 'a replicated record lands at the commit log offset it names', 'at,recordPhy,size', at, recordPhy, size);
      const queueId = readInt32(rec, 12);
      const queueOffset = readInt64(rec, 20);
      const sysFlag = readInt32(rec, 36);
      const l = recordLayout(rec, 0);
      const storeTs = readInt64(rec, l.storeTimestampPos);
      const topic = rec.toString('utf8', l.topicPos, l.topicPos + l.topicLength);
      const props = rec.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength);
      const tran = sysFlag & SysFlag.TRANSACTION_ROLLBACK_TYPE;
      const toQueue = tran === SysFlag.TRANSACTION_NOT_TYPE || tran === SysFlag.TRANSACTION_COMMIT_TYPE;
      let cqId = -1;
      if (toQueue) {
        const cq = core.queue(topic, queueId);
        if (cq.nextOffset < queueOffset + 1) cq.nextOffset = queueOffset + 1;
        cqId = core.cqId(cq);
      }
      core.ring.push(cqId, queueOffset, at, size, core.tagsCodeOf(topic, props, storeTs), storeTs, sysFlag);
      core.lastStoreTs.append = storeTs;
      core.stats.putMessages++;
      this.parsedPos = at + size;
    }
    return null;
  }
}
