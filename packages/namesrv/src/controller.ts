// The name server: a remoting server answering the codes in processor.ts, the routing tables, the
// persisted KV config, and the scan that forgets brokers which stopped registering. Name servers
// share nothing; brokers register with each of them.
import { startNamesrvDashboard, type NamesrvDashboard } from './http-dashboard.js';
import { createLogger, RemotingServer, type Channel, type Logger } from '@rmq/remoting';
import { defaultNamesrvConfig, type NamesrvConfig } from './config.js';
import { KvConfigManager } from './kv-config-manager.js';
import { namesrvProcessors, type NamesrvContext } from './processor.js';
import { RouteInfoManager } from './route-info-manager.js';

export class NamesrvController {
  readonly config: NamesrvConfig;
  readonly routes = new RouteInfoManager();
  readonly kv: KvConfigManager;
  private readonly logger: Logger;
  private server: RemotingServer | null = null;
  private scanTimer: NodeJS.Timeout | null = null;
  private dashboard: NamesrvDashboard | null = null;

  constructor(config: Partial<NamesrvConfig> = {}, opts: { logger?: Logger } = {}) {
    this.config = defaultNamesrvConfig(config);
    this.logger = opts.logger ?? createLogger('namesrv');
    this.kv = new KvConfigManager(this.config.kvConfigPath);
  }

  /** The bound port (listenPort, or the ephemeral one when listenPort is 0). */
  get port(): number {
    return this.server?.port ?? this.config.listenPort;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('name server already started');
    this.kv.load();
    const server = new RemotingServer({
      port: this.config.listenPort,
      host: this.config.listenHost,
      maxFrameBytes: this.config.maxFrameBytes,
      idleTimeoutMs: this.config.serverChannelMaxIdleTimeSeconds * 1000,
      logger: this.logger,
      name: 'namesrv',
    });
    const ctx: NamesrvContext = {
      routes: this.routes,
      kv: this.kv,
      config: this.config,
      logger: this.logger,
      onConfigUpdated: (keys) => {
        if (keys.includes('scanNotActiveBrokerIntervalMs')) this.scheduleScan();
      },
    };
    for (const [code, handler] of namesrvProcessors) {
      server.registerProcessor(code, (req, ch) => handler(ctx, req, ch));
    }
    server.on('close', (ch: Channel) => {
      const addr = this.routes.onChannelDestroy(ch);
      if (addr) this.logger.info(`broker ${addr} removed: its connection ${ch.remoteAddress} closed`);
    });
    await server.listen();
    this.server = server;
    this.scheduleScan();
    if (this.config.namesrvHttpPort > 0) {
      try {
        this.dashboard = await startNamesrvDashboard({
          port: this.config.namesrvHttpPort, host: this.config.namesrvHttpHost, namesrvAddr: `127.0.0.1:${server.port}`,
          adminToken: this.config.adminHttpToken, logger: this.logger,
        });
      } catch (e) {
        this.logger.warn(`namesrv dashboard not started: ${(e as Error).message}`);
      }
    }
  }

  /** Bound port of the dashboard, 0 when it is off. */
  get dashboardPort(): number {
    return this.dashboard?.port ?? 0;
  }

  private scheduleScan(): void {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = setInterval(() => this.scanNotActiveBroker(), this.config.scanNotActiveBrokerIntervalMs);
    this.scanTimer.unref();
  }

  /** Removes brokers silent for longer than brokerChannelExpiredMs and closes their connections. */
  scanNotActiveBroker(nowMs = Date.now()): string[] {
    const expired = this.routes.scanNotActiveBroker(this.config.brokerChannelExpiredMs, nowMs);
    for (const { brokerAddr, channel } of expired) {
      this.logger.warn(`broker ${brokerAddr} expired: no registration for ${this.config.brokerChannelExpiredMs} ms`);
      channel.close();
    }
    return expired.map((e) => e.brokerAddr);
  }

  async shutdown(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = null;
    await this.dashboard?.close().catch(() => undefined);
    this.dashboard = null;
    const server = this.server;
    this.server = null;
    if (server) await server.close();
  }
}
