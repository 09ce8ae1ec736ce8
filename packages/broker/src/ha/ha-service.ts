// HAService, master side (Apache's HAService + HAConnection): listens on haListenPort; per slave
// connection reads its 8-byte offset reports and streams commit log frames from where it asked.
// Bytes come straight from the store's shared pages (views, no re-encode) and only below what the
// master itself acknowledges. The highest offset any slave acknowledged feeds the GroupTransfer
// waiters (SYNC_MASTER).
import * as net from 'node:net';
import type { Logger } from '@rmq/remoting';
import { encodeFrameHeader, ReportReader } from './ha-codec.js';
import type { HAConfig, HAStorePort } from './ha-store.js';
import { GroupTransfer } from './group-transfer.js';

/** Stop filling the socket above this many queued bytes (resume on 'drain'). */
const WRITE_HIGH_WATER = 1024 * 1024;

export interface HAConnectionInfo {
  addr: string;
  /** where the slave asked to start (-1: no report yet) */
  slaveRequestOffset: number;
  slaveAckOffset: number;
  /** next offset this connection sends */
  nextTransferFromWhere: number;
  /** ms since the slave's ack last reached the master's acked offset (0 = in sync) */
  lagMs: number;
}

class HAConnection {
  slaveRequestOffset = -1;
  slaveAckOffset = -1;
  nextTransferFromWhere = -1;
  lastReadMs = Date.now();
  lastWriteMs = Date.now();
  /** when the slave was last fully caught up with the master's acked offset */
  inSyncSinceMs = Date.now();
  private readonly reports = new ReportReader();
  private waitingDrain = false;
  private closed = false;
  private warnedBelowMin = false;
  readonly addr: string;

  constructor(private readonly svc: HAService, readonly socket: net.Socket) {
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => { this.waitingDrain = false; this.pump(); });
    socket.on('error', (e) => svc.log.warn(`HA connection ${this.addr}: ${e.message}`));
    socket.on('close', () => this.close('closed by peer'));
  }

  private onData(chunk: Buffer): void {
    this.lastReadMs = Date.now();
    const offset = this.reports.push(chunk);
    if (offset < 0) return;
    const store = this.svc.store;
    if (this.slaveRequestOffset < 0) {
      this.slaveRequestOffset = offset;
      this.svc.log.info(`HA slave ${this.addr} connected, requests offset ${offset}`);
    } else if (offset > store.maxPhyOffset()) {
      this.close(`slave ack offset ${offset} is beyond the master's max offset ${store.maxPhyOffset()}`);
      return;
    }
    this.slaveAckOffset = offset;
    if (offset >= store.ackedOffset()) this.inSyncSinceMs = Date.now();
    this.svc.notifyTransferSome(offset);
    this.pump();
  }

  /** Sends what is available, up to the socket's high-water mark. */
  pump(): void {
    if (this.closed || this.slaveRequestOffset < 0 || this.waitingDrain) return;
    const store = this.svc.store;
    if (this.nextTransferFromWhere < 0) {
      if (this.slaveRequestOffset === 0) {
        const max = store.maxPhyOffset();
        this.nextTransferFromWhere = Math.max(0, max - (max % store.mappedFileSize));
      } else {
        this.nextTransferFromWhere = this.slaveRequestOffset;
      }
      this.svc.log.info(`HA master transfers to ${this.addr} from offset ${this.nextTransferFromWhere}`);
    }
    const batch = this.svc.config.haTransferBatchSize;
    const s = this.socket;
    while (s.writableLength < WRITE_HIGH_WATER) {
      const body = store.readForTransfer(this.nextTransferFromWhere, batch);
      if (body === null || body.length === 0) {
        if (!this.warnedBelowMin && this.nextTransferFromWhere < this.svc.minPhyOffset()) {
          this.warnedBelowMin = true;
          this.svc.log.warn(`HA slave ${this.addr} wants offset ${this.nextTransferFromWhere}, below the master's first file`);
        }
        break;
      }
      const from = this.nextTransferFromWhere;
      this.nextTransferFromWhere += body.length;
      s.cork();
      s.write(encodeFrameHeader(from, body.length));
      const more = s.write(body);
      s.uncork();
      this.lastWriteMs = Date.now();
      if (!more) { this.waitingDrain = true; return; }
    }
  }

  /** Periodic: heartbeat when idle, close when the slave went silent. */
  tick(now: number): void {
    if (this.closed) return;
    if (now - this.lastReadMs > this.svc.config.haHousekeepingInterval) {
      this.close(`no report for ${now - this.lastReadMs} ms`);
      return;
    }
    if (this.slaveRequestOffset >= 0 && this.nextTransferFromWhere >= 0 && !this.waitingDrain
      && now - this.lastWriteMs > this.svc.config.haSendHeartbeatInterval) {
      this.socket.write(encodeFrameHeader(this.nextTransferFromWhere, 0));
      this.lastWriteMs = now;
    }
    if (this.slaveAckOffset >= this.svc.store.ackedOffset()) this.inSyncSinceMs = now;
  }

  info(now: number): HAConnectionInfo {
    return {
      addr: this.addr, slaveRequestOffset: this.slaveRequestOffset, slaveAckOffset: this.slaveAckOffset,
      nextTransferFromWhere: this.nextTransferFromWhere,
      lagMs: this.slaveAckOffset >= this.svc.store.ackedOffset() ? 0 : now - this.inSyncSinceMs,
    };
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.svc.log.info(`HA connection ${this.addr} closed: ${why}`);
    this.socket.destroy();
    this.svc.removeConnection(this);
  }
}

export class HAService {
  private server: net.Server | null = null;
  private readonly conns = new Set<HAConnection>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** highest offset any slave acknowledged (Apache's push2SlaveMaxOffset) */
  push2SlaveMaxOffset = 0;
  readonly groupTransfer: GroupTransfer;

  constructor(readonly store: HAStorePort, readonly config: HAConfig, readonly log: Logger,
    private readonly minPhy: () => number = () => 0) {
    this.groupTransfer = new GroupTransfer(this, config.slaveTimeout);
  }

  minPhyOffset(): number { return this.minPhy(); }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  get connectionCount(): number { return this.conns.size; }

  async start(host = '0.0.0.0'): Promise<void> {
    const server = net.createServer((s) => this.conns.add(new HAConnection(this, s)));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.haListenPort, host, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', (e) => this.log.error(`HA server: ${e.message}`));
    this.unsubscribe = this.store.onAdvance(() => { for (const c of this.conns) c.pump(); });
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.tick(now);
      this.groupTransfer.expire(now);
    }, Math.max(100, Math.min(1000, this.config.haSendHeartbeatInterval / 2)));
    this.timer.unref();
    this.log.info(`HA service listening on ${host}:${this.port}`);
  }

  /** Apache's isSlaveOK: a slave is connected and not more than haSlaveFallbehindMax behind end. */
  isSlaveOK(masterPutWhere: number): boolean {
    return this.conns.size > 0 && masterPutWhere - this.push2SlaveMaxOffset < this.config.haSlaveFallbehindMax;
  }

  notifyTransferSome(offset: number): void {
    if (offset <= this.push2SlaveMaxOffset) return;
    this.push2SlaveMaxOffset = offset;
    this.groupTransfer.advance(offset);
  }

  removeConnection(c: HAConnection): void { this.conns.delete(c); }

  connections(): HAConnectionInfo[] {
    const now = Date.now();
    return [...this.conns].map((c) => c.info(now));
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    for (const c of [...this.conns]) c.close('master shutting down');
    this.groupTransfer.failAll();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
