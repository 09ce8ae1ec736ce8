// HAController: the broker's master/slave replication, wired from BrokerConfig.
//   master (ASYNC_MASTER / SYNC_MASTER): HAService on haListenPort streams the commit log to slaves;
//     under SYNC_MASTER every put also waits for a slave ack (GroupTransfer).
//   slave (brokerRole=SLAVE, brokerId > 0): the store refuses ordinary puts; HAClient replicates
//     from haMasterAddress or the haServerAddr of the REGISTER_BROKER result; SlaveSynchronize copies
//     the master's metadata every slaveSyncIntervalMs.
// Pull replies get suggestWhichBrokerId from suggestBrokerId() (Apache's PullMessageProcessor rule).
import { totalmem } from 'node:os';
import type { Logger } from '@rmq/remoting';
import type { MessageStore, PutResult } from '@rmq/store';
import type { BrokerConfig } from '../config.js';
import type { RegisterBrokerResult } from '../namesrv-api/broker-outer-api.js';
import { HAService } from './ha-service.js';
import { HAClient } from './ha-client.js';
import type { HAConfig, HAStorePort } from './ha-store.js';
import { SlaveSynchronize, type SlaveSyncTargets } from './slave-synchronize.js';

export { HAService } from './ha-service.js';
export { HAClient } from './ha-client.js';
export { GroupTransfer, REPLICA_SOURCE } from './group-transfer.js';
export { SlaveSynchronize } from './slave-synchronize.js';
export type { HAStorePort, HAConfig } from './ha-store.js';
export * from './ha-codec.js';

const MASTER_ID = 0;

export function haConfigOf(cfg: BrokerConfig, haPort: number): HAConfig {
  return {
    haListenPort: haPort,
    haSendHeartbeatInterval: cfg.haSendHeartbeatInterval,
    haHousekeepingInterval: cfg.haHousekeepingInterval,
    haTransferBatchSize: cfg.haTransferBatchSize,
    haSlaveFallbehindMax: cfg.haMaxGapNotInSync > 0 ? cfg.haMaxGapNotInSync : cfg.haSlaveFallbehindMax,
    slaveTimeout: cfg.slaveTimeout,
  };
}

export interface HAHost extends SlaveSyncTargets {
  config: BrokerConfig;
  store: MessageStore;
  logger: Logger;
  /** bound remoting port */
  port: number;
}

export class HAController {
  readonly isSlave: boolean;
  service: HAService | null = null;
  client: HAClient | null = null;
  slaveSync: SlaveSynchronize | null = null;
  private port: HAStorePort | null = null;
  /** true unless haMasterAddress is configured: follow the name server's haServerAddr */
  private updateMasterHAServerAddrPeriodically = false;
  private readonly memoryLimit: number;

  constructor(private readonly host: HAHost) {
    this.isSlave = host.config.brokerRole === 'SLAVE';
    this.memoryLimit = totalmem() * (host.config.accessMessageInMemoryMaxRatio / 100);
  }

  /** The HA port this broker listens on (masters) or would (slaves). */
  haPort(): number {
    const cfg = this.host.config;
    if (cfg.haListenPort >= 0) return cfg.haListenPort;
    return cfg.listenPort === 0 ? 0 : this.host.port + 1;
  }

  /** haServerAddr published in REGISTER_BROKER: brokerIP2:haListenPort. */
  haServerAddr(): string {
    const cfg = this.host.config;
    const p = this.service?.port || (cfg.haListenPort >= 0 ? cfg.haListenPort : this.host.port + 1);
    return `${this.host.config.brokerIP2}:${p}`;
  }

  async start(): Promise<void> {
    const { config: cfg, store, logger } = this.host;
    const repl = store.replication?.();
    if (!repl) { logger.warn('HA: the store has no replication API (in-memory store?); HA is off'); return; }
    this.port = repl;
    const haCfg = haConfigOf(cfg, this.haPort());
    if (this.isSlave) {
      if (cfg.brokerId === MASTER_ID) logger.warn('HA: brokerRole=SLAVE with brokerId 0; a slave needs brokerId > 0');
      repl.setReadOnly('message store is slave mode, so putMessage is forbidden');
      this.client = new HAClient(repl, haCfg, logger);
      if (cfg.haMasterAddress.length >= 6) this.client.updateMasterAddress(cfg.haMasterAddress);
      else this.updateMasterHAServerAddrPeriodically = true;
      this.client.start();
      this.slaveSync = new SlaveSynchronize(this.host, logger);
      this.slaveSync.start(cfg.slaveSyncIntervalMs, Math.min(3000, cfg.slaveSyncIntervalMs));
      return;
    }
    const host = cfg.brokerIP1 === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0';
    this.service = new HAService(repl, haCfg, logger, () => store.getMinPhyOffset());
    try {
      await this.service.start(host);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // listenPort + 1 is only a default: when another process holds it, take any free port (slaves that
      // follow the name server's haServerAddr find it); an explicit haListenPort stays a start failure.
      if (err.code !== 'EADDRINUSE' || cfg.haListenPort >= 0) {
        throw new Error(`HA service cannot listen on ${host}:${haCfg.haListenPort}: ${err.code ?? err.message}`);
      }
      logger.warn(`HA: default port ${haCfg.haListenPort} (listenPort + 1) is in use; listening on a free port instead (set haListenPort to fix it)`);
      this.service = new HAService(repl, { ...haCfg, haListenPort: 0 }, logger, () => store.getMinPhyOffset());
      await this.service.start(host);
    }
    if (cfg.brokerRole === 'SYNC_MASTER') this.installSyncMasterWait(store, this.service);
  }

  /** SYNC_MASTER: every put the store acknowledged also waits for a slave. */
  private installSyncMasterWait(store: MessageStore, svc: HAService): void {
    const gt = svc.groupTransfer;
    const put = store.putMessage.bind(store);
    const puts = store.putMessages.bind(store);
    const after = (r: PutResult) => gt.wait(r);
    store.putMessage = (m) => put(m).then(after);
    store.putMessages = (t, q, b) => puts(t, q, b).then(after);
    // the send path's promise-free put: the same wait, through the wrapped putMessage
    store.putMessageThen = (m, done, arg) => { store.putMessage(m).then((r) => done(r, arg), (e: Error) => done(unknownError(e), arg)); };
  }

  /** The first answering name server's result (as Apache's registerBrokerAll uses). */
  onRegisterResults(results: RegisterBrokerResult[]): void {
    if (!this.isSlave || results.length === 0) return;
    const r = results[0];
    if (this.updateMasterHAServerAddrPeriodically && r.haServerAddr) this.client?.updateMasterAddress(r.haServerAddr);
    if (this.slaveSync) {
      if (this.slaveSync.masterAddr !== r.masterAddr) {
        this.host.logger.info(`slave: master is ${r.masterAddr ?? '(none)'}`);
        const first = this.slaveSync.masterAddr === null && r.masterAddr !== null;
        this.slaveSync.masterAddr = r.masterAddr;
        if (first) void this.slaveSync.syncAll();
      }
    }
  }

  /**
   * suggestWhichBrokerId of a pull reply (Apache's PullMessageProcessor): with slaveReadEnable, the
   * group's whichBrokerWhenConsumeSlowly when the pulled bytes lie further behind the end of the
   * commit log than accessMessageInMemoryMaxRatio of memory, else the group's brokerId; without it,
   * the master.
   */
  suggestBrokerId(lastPulledPhyOffset: number, group: { brokerId: number; whichBrokerWhenConsumeSlowly: number } | undefined): number {
    if (!this.host.config.slaveReadEnable || group === undefined) return MASTER_ID;
    if (lastPulledPhyOffset < 0) return group.brokerId;
    const behind = this.host.store.getMaxPhyOffset() - lastPulledPhyOffset;
    return behind > this.memoryLimit ? group.whichBrokerWhenConsumeSlowly : group.brokerId;
  }

  /** Replication lag for runtime info and /metrics. */
  lag(): { bytes: number; ms: number; slaves: number } {
    if (this.service) {
      const acked = this.port!.ackedOffset();
      const conns = this.service.connections();
      let bytes = conns.length === 0 ? 0 : Infinity;
      let ms = conns.length === 0 ? 0 : Infinity;
      for (const c of conns) {
        bytes = Math.min(bytes, Math.max(0, acked - Math.max(0, c.slaveAckOffset)));
        ms = Math.min(ms, c.lagMs);
      }
      return { bytes, ms, slaves: conns.length };
    }
    if (this.client) {
      const behind = this.client.behindBytes();
      return { bytes: behind, ms: behind > 0 ? Date.now() - this.client.lastFrameMs : 0, slaves: 0 };
    }
    return { bytes: 0, ms: 0, slaves: 0 };
  }

  /** Fields merged into GET_BROKER_RUNTIME_INFO. */
  runtimeInfo(): Record<string, string> {
    const out: Record<string, string> = {};
    const lag = this.lag();
    if (this.service) {
      const conns = this.service.connections();
      out.haConnectionCount = String(conns.length);
      out.haPush2SlaveMaxOffset = String(this.service.push2SlaveMaxOffset);
      // Apache's slaveFallBehindMuch(): commitLog max offset - push2SlaveMaxOffset
      out.slaveFallBehindMuch = String(conns.length === 0 ? 0 : Math.max(0, this.host.store.getMaxPhyOffset() - this.service.push2SlaveMaxOffset));
      out.masterSlaveDiffBytes = String(lag.bytes);
      out.masterSlaveDiffMs = String(lag.ms);
      out.haSyncMasterWaiting = String(this.service.groupTransfer.pending);
      out.haListenAddr = this.haServerAddr();
    }
    if (this.client) {
      out.haMasterAddress = this.client.master ?? '';
      out.haClientConnected = String(this.client.connected);
      out.masterSlaveDiffBytes = String(lag.bytes);
      out.masterSlaveDiffMs = String(lag.ms);
      out.slaveSyncMasterAddr = this.slaveSync?.masterAddr ?? '';
      out.slaveSyncLastMs = String(this.slaveSync?.lastSyncMs ?? 0);
    }
    return out;
  }

  async shutdown(): Promise<void> {
    this.client?.shutdown();
    await this.slaveSync?.shutdown();
    await this.service?.shutdown();
  }
}

/** A put whose wait threw (it never should): an error result, as the send path answers it. */
function unknownError(e: Error): PutResult {
  return { status: 'UNKNOWN_ERROR', wroteOffset: 0, wroteBytes: 0, queueOffset: 0, msgId: '', storeTimestamp: 0, msgNum: 0, error: e.message };
}
