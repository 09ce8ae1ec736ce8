// ReadService: the read path. Pulls (getMessage: ConsumeQueue entries -> commit log records, copied
// into one buffer per pull), per-queue offsets and store times, lookups by commit log offset and by
// key through the IndexFiles. Serves only what is dispatched, so never bytes not yet on the OS.
// Read-path invariants (a queue entry points at a whole record inside the written log, the record
// names the queue offset it is read at): a violation fails that read, logged, with an error result
// (getMessage: INVARIANT_VIOLATED, which the broker answers as an error), never the process.
import {
  MESSAGE_MAGIC_CODE, MIN_RECORD_SIZE, assertRecord, emptyRecordLayout, getProperty, readInt32, readInt64, recordLayout,
  storeTimestampOffset,
} from './record.js';
import { InvariantError, invariant } from './invariant.js';
import type { ConsumeQueue } from './consume-queue.js';
import type { GetResult, MessageFilter, QueryResult } from './store-api.js';
import type { StoreCore } from './store-core.js';
import { BodyPool, type BodyLease } from './body-pool.js';

const MAX_FILTER_ENTRIES = 16000;

export class ReadService {
  /**
   * getMessage copies the records it serves straight out of the pages into one buffer per pull (the
   * reply's body; result.buffers are views of it). Views over the shared pages would pin them (a viewed
   * page cannot be reused until its views are garbage): a consumer reading a backlog then grew the
   * process by every page its in-flight replies touched, 1.3 GiB RSS against a 512 MiB cache. A 1 KiB
   * copy costs about what the view object did. With `pooled`, that buffer is leased from `bodyPool`
   * (result.lease: its holder releases it once nothing reads the bytes) instead of allocated.
   */
  readonly bodyPool = new BodyPool();
  private readonly e = new Float64Array(3);
  private readonly layout = emptyRecordLayout();

  constructor(private readonly core: StoreCore) {}

  getMessage(topic: string, queueId: number, offset: number, maxMsgNums: number,
    maxTotalBytes: number, filter?: MessageFilter | null, pooled = false): GetResult {
    const core = this.core;
    const cq = core.findQueue(topic, queueId);
    const result: GetResult = {
      status: 'NO_MATCHED_LOGIC_QUEUE', nextBeginOffset: 0, minOffset: 0, maxOffset: 0, buffers: [], messageCount: 0, bufferTotalSize: 0, lease: null,
    };
    if (cq === undefined) return result;
    const min = cq.minOffset;
    const max = cq.maxOffset;
    result.minOffset = min;
    result.maxOffset = max;
    if (max === 0) { result.status = 'NO_MESSAGE_IN_QUEUE'; result.nextBeginOffset = 0; return result; }
    if (offset < min) { result.status = 'OFFSET_TOO_SMALL'; result.nextBeginOffset = min; return result; }
    if (offset === max) { result.status = 'OFFSET_OVERFLOW_ONE'; result.nextBeginOffset = offset; return result; }
    if (offset > max) { result.status = 'OFFSET_OVERFLOW_BADLY'; result.nextBeginOffset = min === 0 ? min : max; return result; }
    result.status = 'NO_MATCHED_MESSAGE';
    const e = this.e;
    const minPhy = core.commitLog.minOffset;
    // the pull's buffer, sized at the first record for maxMsgNums records like it (within maxTotalBytes)
    let out: Buffer | null = null;
    let lease: BodyLease | null = null;
    const sizes: number[] = [];
    let q = offset;
    const lastQ = Math.min(max, offset + Math.max(maxMsgNums, MAX_FILTER_ENTRIES));
    try {
      for (; q < lastQ; q++) {
        if (!cq.get(q, e)) { if (q === offset) { result.status = 'OFFSET_FOUND_NULL'; } break; }
        const phy = e[0], size = e[1], tagsCode = e[2];
        if (result.messageCount > 0 && (result.messageCount >= maxMsgNums || result.bufferTotalSize + size > maxTotalBytes)) break;
        if (phy < minPhy) { if (result.bufferTotalSize === 0) result.status = 'MESSAGE_WAS_REMOVING'; continue; }
        this.assertEntry(q, phy, size);
        if (filter && !filter.matchByConsumeQueue(tagsCode)) { if (result.bufferTotalSize === 0) result.status = 'NO_MATCHED_MESSAGE'; continue; }
        const at = result.bufferTotalSize;
        if (out === null || out.length < at + size) {
          // room for maxMsgNums records like this one (within maxTotalBytes), or twice the old buffer
          const n = Math.max(at + size, Math.min(at + size * (maxMsgNums - result.messageCount), Math.max(maxTotalBytes, at + size)), out === null ? 0 : out.length * 2);
          const next = pooled ? this.bodyPool.lease(n) : null;
          const buf = next !== null ? next.buf : Buffer.allocUnsafe(n);
          if (out !== null && at > 0) out.copy(buf, 0, 0, at);
          lease?.release();
          lease = next;
          out = buf;
        }
        if (!core.commitLog.copyOut(phy, size, out, at)) { if (result.bufferTotalSize === 0) result.status = 'MESSAGE_WAS_REMOVING'; continue; }
        assertRecord(out, at, size, this.layout);
        const recordQ = readInt64(out, at + 20);
        invariant(recordQ === q, 'a record names the queue offset its entry is at', 'q,recordQueueOffset,phy', q, recordQ, phy);
        // a record the filter refuses is overwritten by the next one
        if (filter?.matchByCommitLog && !filter.matchByCommitLog(out.subarray(at, at + size))) { if (result.bufferTotalSize === 0) result.status = 'NO_MATCHED_MESSAGE'; continue; }
        sizes.push(size);
        result.messageCount++;
        result.bufferTotalSize += size;
        result.status = 'FOUND';
      }
    } catch (err) {
      // what was found before the bad entry is served; the next pull starts at it and fails
      const why = this.violation(err, `consume queue ${topic}/${queueId} offset ${q}`);
      if (result.messageCount === 0) { result.status = 'INVARIANT_VIOLATED'; result.error = why; }
    }
    result.nextBeginOffset = q;
    if (lease !== null) {
      if (result.messageCount > 0) { lease.trim(result.bufferTotalSize); out = lease.buf; result.lease = lease; } else lease.release();
    }
    if (out !== null && result.messageCount > 0) {
      let pos = 0;
      for (const n of sizes) { result.buffers.push(out.subarray(pos, pos + n)); pos += n; }
    }
    return result;
  }

  /** A queue entry points at a record inside the written log (handed to the OS). Throws InvariantError. */
  private assertEntry(q: number, phy: number, size: number): void {
    const committed = this.core.commitLog.committedPos;
    invariant(size >= MIN_RECORD_SIZE && size <= this.core.maxRecordBytes && phy >= 0 && phy + size <= committed,
      'a queue entry points at a record within the written commit log', 'q,phy,size,committedPos', q, phy, size, committed);
  }

  /** Logs a read-path invariant violation (rethrows anything else); returns its message. */
  private violation(err: unknown, where: string): string {
    if (!(err instanceof InvariantError)) throw err;
    this.core.log.error(`${where}: ${err.message}; not served`);
    return err.message;
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number { return this.core.findQueue(topic, queueId)?.maxOffset ?? 0; }
  getMinOffsetInQueue(topic: string, queueId: number): number { return this.core.findQueue(topic, queueId)?.minOffset ?? 0; }

  getCommitLogOffsetInQueue(topic: string, queueId: number, cqOffset: number): number {
    const cq = this.core.findQueue(topic, queueId);
    return cq !== undefined && cq.get(cqOffset, this.e) ? this.e[0] : 0;
  }

  private storeTimeAt(cq: ConsumeQueue, q: number): number {
    if (!cq.get(q, this.e)) return -1;
    const phy = this.e[0], size = this.e[1];
    if (phy < this.core.commitLog.minOffset) return -1;
    try {
      this.assertEntry(q, phy, size);
    } catch (err) {
      this.violation(err, `consume queue ${cq.topic}/${cq.queueId} offset ${q}`);
      return -1;
    }
    const rec = this.core.commitLog.read(phy, size);
    if (rec === null || rec.length < 64) return -1;
    return readInt64(rec, storeTimestampOffset(readInt32(rec, 36)));
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, cqOffset: number): number {
    const cq = this.core.findQueue(topic, queueId);
    return cq === undefined ? -1 : this.storeTimeAt(cq, cqOffset);
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    const cq = this.core.findQueue(topic, queueId);
    if (cq === undefined) return -1;
    for (let q = cq.minOffset; q < cq.maxOffset; q++) { const t = this.storeTimeAt(cq, q); if (t >= 0) return t; }
    return -1;
  }

  /** The queue offset whose store time is closest to timestampMs (the first exact match wins). */
  getOffsetInQueueByTime(topic: string, queueId: number, timestampMs: number): number {
    const cq = this.core.findQueue(topic, queueId);
    if (cq === undefined || cq.maxOffset <= cq.minOffset) return cq?.maxOffset ?? 0;
    let lo = cq.minOffset, hi = cq.maxOffset - 1;
    while (lo <= hi && this.storeTimeAt(cq, lo) < 0) lo++;
    if (lo > hi) return cq.maxOffset;
    // first offset with time >= timestampMs
    let a = lo, b = hi + 1;
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      if (this.storeTimeAt(cq, mid) >= timestampMs) b = mid; else a = mid + 1;
    }
    if (a > hi) return hi;                         // all earlier: the last message
    if (a === lo) return lo;                       // all later: the first message
    const right = this.storeTimeAt(cq, a);
    if (right === timestampMs) return a;
    const left = this.storeTimeAt(cq, a - 1);
    return Math.abs(timestampMs - left) > Math.abs(timestampMs - right) ? a : a - 1;
  }

  /** One stored record at a commit log offset (size read from the record when not given). */
  lookMessageByOffset(commitLogOffset: number, size?: number): Buffer | null {
    const cl = this.core.commitLog;
    let n = size;
    if (n === undefined || n <= 0) {
      const head = cl.read(commitLogOffset, 8);
      if (head === null) return null;
      n = head.readInt32BE(0);
      if (head.readInt32BE(4) !== MESSAGE_MAGIC_CODE || n < 91 || n > this.core.maxRecordBytes) return null;
    }
    const rec = cl.read(commitLogOffset, n);
    if (rec === null || rec.readInt32BE(0) !== n || rec.readInt32BE(4) !== MESSAGE_MAGIC_CODE) return null;
    return rec;
  }

  /** Records whose KEYS or UNIQ_KEY equal key, newest first. */
  queryMessage(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): QueryResult {
    const core = this.core;
    const offsets: number[] = [];
    const files = core.indexFiles;
    const last = files[files.length - 1];
    const full = `${topic}#${key}`;
    for (let i = files.length - 1; i >= 0 && offsets.length < maxNum; i--) {
      const f = files[i];
      if (f.isTimeMatched(beginMs, endMs)) f.selectPhyOffsets(offsets, full, maxNum, beginMs, endMs);
      if (f.beginTimestamp < beginMs) break;
    }
    const buffers: Buffer[] = [];
    const seen = new Set<number>();
    for (const off of offsets) {
      if (seen.has(off) || off >= core.dispatchedPos) continue;
      seen.add(off);
      const rec = this.lookMessageByOffset(off);
      if (rec === null) continue;
      let l;
      try { l = recordLayout(rec, 0); } catch (err) { this.violation(err, `index entry for ${full} at ${off}`); continue; }
      if (rec.toString('utf8', l.topicPos, l.topicPos + l.topicLength) !== topic) continue;
      const props = rec.toString('utf8', l.propertiesPos, l.propertiesPos + l.propertiesLength);
      const keys = getProperty(props, 'KEYS');
      if (getProperty(props, 'UNIQ_KEY') !== key && !(keys !== null && keys.split(' ').includes(key))) continue;
      buffers.push(rec);
    }
    return { buffers, indexLastUpdateTimestamp: last?.endTimestamp ?? 0, indexLastUpdatePhyoffset: last?.endPhyOffset ?? 0 };
  }
}
