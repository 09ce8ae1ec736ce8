// The Apache RocketMQ 4.x HA wire protocol (HAService / HAConnection / HAClient), both directions on
// one plain TCP connection (no remoting frames):
//   slave -> master: its max commit log offset as an 8-byte big-endian int64, at connect (the first
//     one is where the master starts sending; 0 means "start at your current file"), after every
//     append, and every haSendHeartbeatInterval. The master reads the last complete 8-byte value
//     of what arrived.
//   master -> slave: frames [phyOffset int64][bodySize int32][bodySize bytes of commit log], each
//     within one commit log file and at most haTransferBatchSize bytes; a frame with bodySize 0 is a
//     heartbeat (sent when nothing was written for haSendHeartbeatInterval).
export const HA_HEADER_SIZE = 12;
export const HA_REPORT_SIZE = 8;

/** The 12-byte frame header. */
export function encodeFrameHeader(phyOffset: number, bodySize: number, out: Buffer = Buffer.allocUnsafe(HA_HEADER_SIZE)): Buffer {
  out.writeBigInt64BE(BigInt(phyOffset), 0);
  out.writeInt32BE(bodySize, 8);
  return out;
}

export function encodeReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(HA_REPORT_SIZE);
  b.writeBigInt64BE(BigInt(offset), 0);
  return b;
}

/**
 * Master side: accumulates slave reports; returns the last complete offset in the bytes received so
 * far, or -1 when no new complete one arrived. Partial trailing bytes are kept for the next chunk.
 */
export class ReportReader {
  private carry = Buffer.alloc(0);
  push(chunk: Buffer): number {
    const buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const n = Math.floor(buf.length / HA_REPORT_SIZE);
    this.carry = Buffer.from(buf.subarray(n * HA_REPORT_SIZE));
    if (n === 0) return -1;
    return Number(buf.readBigInt64BE((n - 1) * HA_REPORT_SIZE));
  }
}

export interface HAFrame { phyOffset: number; body: Buffer }

/** Slave side: splits the master's byte stream into frames (a frame's body is a view over the chunk). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Calls onFrame per complete frame; stops (returning false) when onFrame returns false. */
  push(chunk: Buffer, onFrame: (phyOffset: number, body: Buffer) => boolean, maxBody: number): boolean | string {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (buf.length - pos >= HA_HEADER_SIZE) {
      const phy = Number(buf.readBigInt64BE(pos));
      const size = buf.readInt32BE(pos + 8);
      if (size < 0 || size > maxBody || phy < 0) return `bad HA frame header (offset ${phy}, size ${size})`;
      if (buf.length - pos < HA_HEADER_SIZE + size) break;
      const ok = onFrame(phy, buf.subarray(pos + HA_HEADER_SIZE, pos + HA_HEADER_SIZE + size));
      pos += HA_HEADER_SIZE + size;
      if (!ok) { this.pending = Buffer.alloc(0); return false; }
    }
    // keep the unfinished frame (copied, so the chunk it came in is not retained whole)
    this.pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    buf = Buffer.alloc(0);
    return true;
  }
  reset(): void { this.pending = Buffer.alloc(0); }
}
