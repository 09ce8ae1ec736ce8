// HAClient, slave side (Apache's HAService.HAClient): connects to the master's HA address (the
// configured haMasterAddress, or the haServerAddr a name server returns on registration), reports
// its offset (first the end of its commit log: where the master starts), appends every frame's bytes
// verbatim at the frame's offset, and reports again each time its own flush service acknowledges
// more, plus every haSendHeartbeatInterval. An offset that does not match the end of its log closes
// the connection; the next connect reports the offset again and the master restarts from there.
import * as net from 'node:net';
import type { Logger } from '@rmq/remoting';
import { encodeReport, FrameReader } from './ha-codec.js';
import type { HAConfig, HAStorePort } from './ha-store.js';

export class HAClient {
  private masterAddress: string | null = null;
  private socket: net.Socket | null = null;
  private connecting = false;
  private readonly frames = new FrameReader();
  private currentReportedOffset = 0;
  private lastWriteMs = 0;
  private lastReadMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  /** the master's offset in its last frame (replication lag in bytes = that minus ours) */
  masterOffsetSeen = 0;
  lastFrameMs = 0;
  connects = 0;

  constructor(private readonly store: HAStorePort, private readonly config: HAConfig, private readonly log: Logger) {}

  updateMasterAddress(addr: string | null): void {
    if (addr === this.masterAddress) return;
    this.log.info(`HA master address ${this.masterAddress ?? '(none)'} -> ${addr ?? '(none)'}`);
    this.masterAddress = addr;
    if (this.socket) this.closeMaster('master address changed');
  }

  get master(): string | null { return this.masterAddress; }
  get connected(): boolean { return this.socket !== null && !this.connecting; }

  start(): void {
    this.unsubscribe = this.store.onAdvance((pos) => this.reportPlus(pos));
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.socket === null) { this.connectMaster(); return; }
    if (this.connecting) return;
    if (now - this.lastReadMs > this.config.haHousekeepingInterval) {
      this.closeMaster(`nothing from the master for ${now - this.lastReadMs} ms`);
      return;
    }
    if (now - this.lastWriteMs > this.config.haSendHeartbeatInterval) this.report(this.currentReportedOffset);
  }

  private connectMaster(): void {
    const addr = this.masterAddress;
    if (addr === null || this.connecting) return;
    // report an offset our own flush already vouches for: wait until it caught up with the log end
    if (this.store.ackedOffset() < this.store.maxPhyOffset()) return;
    const i = addr.lastIndexOf(':');
    const host = addr.slice(0, i);
    const port = Number(addr.slice(i + 1));
    if (!(port > 0)) { this.log.warn(`HA master address "${addr}" is not host:port`); return; }
    this.connecting = true;
    const s = net.connect({ host, port });
    this.socket = s;
    s.setNoDelay(true);
    s.once('connect', () => {
      this.connecting = false;
      this.connects++;
      this.frames.reset();
      this.lastReadMs = Date.now();
      this.currentReportedOffset = this.store.maxPhyOffset();
      this.log.info(`HA slave connected to master ${addr}, reports offset ${this.currentReportedOffset}`);
      this.report(this.currentReportedOffset);
    });
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', (e) => { if (!this.connecting) this.log.warn(`HA connection to ${addr}: ${e.message}`); });
    s.on('close', () => { if (this.socket === s) { this.socket = null; this.connecting = false; } });
  }

  private onData(chunk: Buffer): void {
    this.lastReadMs = Date.now();
    const r = this.frames.push(chunk, (phy, body) => this.onFrame(phy, body), Math.max(this.config.haTransferBatchSize, 4 * 1024 * 1024));
    if (typeof r === 'string') this.closeMaster(r);
  }

  private onFrame(masterPhyOffset: number, body: Buffer): boolean {
    const slavePhyOffset = this.store.maxPhyOffset();
    if (slavePhyOffset !== 0 && slavePhyOffset !== masterPhyOffset) {
      this.closeMaster(`master pushed offset ${masterPhyOffset}, not this slave's max offset ${slavePhyOffset}`);
      return false;
    }
    this.masterOffsetSeen = masterPhyOffset + body.length;
    this.lastFrameMs = Date.now();
    if (body.length === 0) return true;
    const err = this.store.appendReplicated(masterPhyOffset, body);
    if (err !== null) {
      this.closeMaster(`append at ${masterPhyOffset} refused: ${err}`);
      return false;
    }
    return true;
  }

  /** Our flush acknowledged more: tell the master. */
  private reportPlus(acked: number): void {
    if (this.socket === null || this.connecting) return;
    if (acked > this.currentReportedOffset) {
      this.currentReportedOffset = acked;
      this.report(acked);
    }
  }

  private report(offset: number): void {
    const s = this.socket;
    if (s === null || this.connecting) return;
    s.write(encodeReport(offset));
    this.lastWriteMs = Date.now();
  }

  private closeMaster(why: string): void {
    const s = this.socket;
    if (s === null) return;
    this.log.warn(`HA slave closes the connection to ${this.masterAddress}: ${why}`);
    this.socket = null;
    this.connecting = false;
    this.frames.reset();
    s.destroy();
  }

  /** Bytes the slave is behind the last offset the master told it about. */
  behindBytes(): number { return Math.max(0, this.masterOffsetSeen - this.store.maxPhyOffset()); }

  shutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.closeMaster('slave shutting down');
  }
}
