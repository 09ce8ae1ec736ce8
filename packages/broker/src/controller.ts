// BrokerController: opens the MessageStore and the metadata managers, serves the request table
// on a RemotingServer, registers with the name servers, and runs the periodic tasks (offset
// persistence, channel expiry, re-registration). Shutdown unregisters, answers held pulls, and
// flushes every metadata file before closing the store.

import { join } from 'node:path';
import { RemotingServer, createLogger, type Channel, type Logger } from '@rmq/remoting';
import type { MessageStore, StoreConfig } from '@rmq/store';
import { parseDelayLevels, type BrokerConfig } from './config.js';
import { TopicConfigManager } from './topic/topic-config-manager.js';
import { SubscriptionGroupManager } from './subscription/subscription-group-manager.js';
import { ConsumerOffsetManager } from './offset/consumer-offset-manager.js';
import { ConsumerManager } from './client/consumer-manager.js';
import { ProducerManager } from './client/producer-manager.js';
import { RebalanceLockManager } from './client/rebalance-lock-manager.js';
import { PullRequestHoldService } from './longpolling/pull-request-hold-service.js';
import { ScheduleMessageService } from './schedule/schedule-message-service.js';
import { BrokerOuterAPI } from './namesrv-api/broker-outer-api.js';
import { BrokerStats } from './stats.js';
import { TransactionalMessageService } from './transaction/transactional-message-service.js';
import { TIMER_TOPIC, TimerMessageService } from './timer/timer-message-service.js';
import { PopService } from './pop/pop-service.js';
import { SCHEDULE_TOPIC, isReadable, isWriteable } from './common/perm.js';
import { buildRequestTable } from './processor/index.js';
import { RuntimeSampler } from './runtime/runtime-sampler.js';
import { BrokerConfigState } from './runtime/broker-config-state.js';
import { buildExporterView } from './http/exporter-view.js';
import { HAController } from './ha/index.js';
import { AclService, defaultAclFile } from './acl/index.js';
import { startAdminHttp, type AdminHttpContext, type AdminHttpServer, type GroupView, type TopicView } from './http/index.js';

const SCAN_CHANNELS_INTERVAL_MS = 10_000;

export interface BrokerControllerOptions {
  logger?: Logger;
  /** Interface to listen on; default 127.0.0.1 when brokerIP1 is loopback, else 0.0.0.0. */
  host?: string;
  /** Opens the store (tests inject an in-memory one); default MessageStore.open. */
  openStore?: (config: StoreConfig, logger: Logger) => Promise<MessageStore>;
}

export class BrokerController {
  readonly logger: Logger;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly consumerOffsetManager: ConsumerOffsetManager;
  readonly consumerManager: ConsumerManager;
  readonly producerManager: ProducerManager;
  readonly rebalanceLockManager: RebalanceLockManager;
  readonly pullRequestHoldService: PullRequestHoldService;
  readonly brokerOuterAPI: BrokerOuterAPI;
  readonly stats = new BrokerStats();
  /** Put/get totals sampled once a second (runtime info 28, stats 315); started with the broker. */
  readonly runtimeSampler = new RuntimeSampler(this.stats);
  /** UPDATE_BROKER_CONFIG's extra keys and config DataVersion (25, 26). */
  readonly configState = new BrokerConfigState();
  /** Milliseconds since start (runtime info). */
  readonly bootTimestamp = Date.now();
  store!: MessageStore;
  scheduleMessageService!: ScheduleMessageService;
  transactionalMessageService!: TransactionalMessageService;
  /** Timer messages (timer/) and POP consumption (pop/). */
  timerMessageService!: TimerMessageService;
  popService!: PopService;
  /** "brokerIP1:listenPort", the address in routes and message ids. */
  brokerAddr = '';
  /** master/slave replication (ha/) */
  ha: HAController | null = null;
  /** Store host of message ids (brokerIP1 + listen port). */
  storeHost = { ip: '127.0.0.1', port: 0 };

  private readonly server: RemotingServer;
  private readonly timers: NodeJS.Timeout[] = [];
  private adminHttp: AdminHttpServer | null = null;
  private acl: AclService | null = null;
  private registerPending = false;
  private started = false;
  private stopped = false;
  private readonly openStore: (config: StoreConfig, logger: Logger) => Promise<MessageStore>;

  constructor(readonly config: BrokerConfig, readonly storeConfig: StoreConfig, opts: BrokerControllerOptions = {}) {
    this.logger = opts.logger ?? createLogger('broker');
    this.openStore = opts.openStore ?? (async (c, l) => (await import('@rmq/store')).MessageStore.open(c, l));
    const root = storeConfig.storePathRootDir;
    this.topicConfigManager = new TopicConfigManager(config, root, this.logger);
    this.subscriptionGroupManager = new SubscriptionGroupManager(config, root, this.logger);
    this.consumerOffsetManager = new ConsumerOffsetManager(root, this.logger);
    this.consumerManager = new ConsumerManager(this.logger, config.channelExpiredTimeoutMs);
    this.producerManager = new ProducerManager(this.logger, config.channelExpiredTimeoutMs);
    this.rebalanceLockManager = new RebalanceLockManager(config.rebalanceLockMaxLiveTimeMs);
    this.pullRequestHoldService = new PullRequestHoldService(config.maxHeldPullRequests);
    this.brokerOuterAPI = new BrokerOuterAPI(config.namesrvAddr, this.logger, config.registerBrokerTimeoutMills);
    const host = opts.host ?? (config.brokerIP1 === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0');
    this.server = new RemotingServer({ port: config.listenPort, host, logger: this.logger, name: 'broker', idleTimeoutMs: config.serverChannelMaxIdleTimeSeconds * 1000 });
  }

  /** Bound remoting port (after start). */
  get port(): number {
    return this.server.port;
  }

  /** The admin HTTP port, 0 when off. */
  get adminHttpPort(): number {
    return this.adminHttp?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('broker already started');
    this.started = true;
    const cfg = this.config;
    const root = this.storeConfig.storePathRootDir;
    const configDir = join(root, 'config');
    this.topicConfigManager.load(join(configDir, 'topics.json'));
    this.subscriptionGroupManager.load(join(configDir, 'subscriptionGroup.json'));
    this.consumerOffsetManager.load(join(configDir, 'consumerOffset.json'));

    // The port is part of every message id: bind first, then open the store with it.
    const port = await this.server.listen();
    this.brokerAddr = `${cfg.brokerIP1}:${port}`;
    this.storeHost = { ip: cfg.brokerIP1, port };
    this.storeConfig.storeHost = this.storeHost;
    this.store = await this.openStore(this.storeConfig, this.logger);

    this.scheduleMessageService = new ScheduleMessageService(this.store, parseDelayLevels(cfg.messageDelayLevel), root, this.logger);
    this.scheduleMessageService.load(join(configDir, 'delayOffset.json'));
    this.timerMessageService = new TimerMessageService(this.store, cfg, root, this.logger);
    this.popService = new PopService(this);
    this.store.onNewMessage((topic, queueId, maxOffset) => {
      this.pullRequestHoldService.notifyMessageArriving(topic, queueId, maxOffset);
      if (topic === SCHEDULE_TOPIC) this.scheduleMessageService.notifyMessageArriving(queueId);
      else if (topic === TIMER_TOPIC) this.timerMessageService.notifyMessageArriving();
      this.popService.notifyMessageArriving(topic, queueId);
    });

    this.transactionalMessageService = new TransactionalMessageService(cfg, this.store, this.topicConfigManager,
      this.consumerOffsetManager, this.producerManager, this.storeHost, this.logger);
    this.ha = new HAController({
      config: cfg, store: this.store, logger: this.logger, port, brokerAddr: this.brokerAddr, storePathRootDir: root,
      topicConfigManager: this.topicConfigManager, consumerOffsetManager: this.consumerOffsetManager,
      subscriptionGroupManager: this.subscriptionGroupManager, scheduleMessageService: this.scheduleMessageService,
    });
    await this.ha.start();
    for (const [code, { handler }] of buildRequestTable(this)) this.server.registerProcessor(code, handler);
    if (cfg.aclEnable) {
      const file = cfg.aclPlainFile || defaultAclFile(process.env['ROCKETMQ_HOME'] || root);
      this.acl = new AclService(file, this.logger);
      this.server.registerRPCHook(this.acl.hook);
      this.acl.start();
    }
    this.server.on('close', (ch: Channel) => this.onChannelClose(ch));
    this.topicConfigManager.onTopicCreated = () => this.requestOnewayRegister();

    this.pullRequestHoldService.start();
    this.runtimeSampler.start();
    // a slave's log is written by replication only: no delayed delivery, timers, POP revive or transaction check-backs
    if (cfg.brokerRole !== 'SLAVE') {
      this.scheduleMessageService.start();
      this.transactionalMessageService.start();
      this.timerMessageService.start();
      this.popService.start();
    }
    this.every(cfg.flushConsumerOffsetIntervalMs, () => {
      void this.consumerOffsetManager.persistIfDirty();
      void this.scheduleMessageService.persistIfDirty();
    });
    this.every(SCAN_CHANNELS_INTERVAL_MS, () => this.scanNotActiveChannel());
    if (this.brokerOuterAPI.nameServerAddressList().length > 0) {
      this.every(Math.max(1000, cfg.registerBrokerIntervalMs), () => void this.registerBrokerAll(false));
      await this.registerBrokerAll(false);
    }
    if (cfg.adminHttpPort > 0) {
      try {
        this.adminHttp = await startAdminHttp(this.adminHttpContext(), cfg.adminHttpPort, {
          dashboard: { namesrvAddr: cfg.namesrvAddr, adminToken: cfg.adminHttpToken, acl: cfg.aclEnable, servedBy: `broker ${cfg.brokerName} (${this.brokerAddr})` },
        });
      } catch (e) {
        this.logger.warn(`admin http not started: ${(e as Error).message}`);
      }
    }
    this.logger.info(`broker ${cfg.brokerName} started at ${this.brokerAddr}`);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        this.logger.error(`periodic task failed: ${(e as Error).message}`);
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private onChannelClose(ch: Channel): void {
    this.consumerManager.doChannelCloseEvent(ch);
    this.producerManager.doChannelCloseEvent(ch);
  }

  private scanNotActiveChannel(): void {
    const now = Date.now();
    for (const ch of this.consumerManager.scanNotActiveChannel(now)) ch.close();
    for (const ch of this.producerManager.scanNotActiveChannel(now)) ch.close();
  }

  private identity() {
    const cfg = this.config;
    return {
      brokerAddr: this.brokerAddr, brokerName: cfg.brokerName, clusterName: cfg.brokerClusterName, brokerId: cfg.brokerId,
      haServerAddr: this.ha?.haServerAddr() ?? `${cfg.brokerIP2}:${this.port + 1}`,
    };
  }

  /** REGISTER_BROKER to every name server now (oneway after topic creation). */
  async registerBrokerAll(oneway: boolean): Promise<void> {
    if (this.stopped) return;
    const wrapper = this.topicConfigManager.wrapper();
    // A broker without read or write permission publishes every topic with that permission masked.
    const brokerPerm = this.config.brokerPermission;
    if (!isReadable(brokerPerm) || !isWriteable(brokerPerm)) {
      for (const t of Object.values(wrapper.topicConfigTable)) t.perm = (t.perm as number) & brokerPerm;
    }
    const results = await this.brokerOuterAPI.registerBrokerAll(this.identity(), wrapper, oneway);
    this.ha?.onRegisterResults(results);
  }

  /** Topic creations in one event-loop turn share one oneway REGISTER_BROKER. */
  private requestOnewayRegister(): void {
    if (this.registerPending || this.brokerOuterAPI.nameServerAddressList().length === 0) return;
    this.registerPending = true;
    setImmediate(() => {
      this.registerPending = false;
      void this.registerBrokerAll(true);
    });
  }

  async shutdown(): Promise<void> {
    if (!this.started || this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.adminHttp?.close();
    this.acl?.stop();
    // A start that failed before the store opened (e.g. the store directory is locked by another
    // broker) has registered nothing and must not write the metadata it loaded over that broker's.
    const opened = this.store !== undefined;
    this.runtimeSampler.stop();
    if (opened && this.brokerOuterAPI.nameServerAddressList().length > 0) {
      await this.brokerOuterAPI.unregisterBrokerAll(this.identity()).catch(() => undefined);
    }
    // Held pulls get their (empty) answer before the connections close.
    this.pullRequestHoldService.shutdown();
    await new Promise((r) => setImmediate(r));
    await this.server.close();
    await this.ha?.shutdown();
    await this.scheduleMessageService?.idle();
    this.scheduleMessageService?.shutdown();
    this.popService?.shutdown();
    await this.timerMessageService?.shutdown();
    this.transactionalMessageService?.shutdown();
    // Let in-flight background writes finish so the final synchronous ones are the last word.
    await Promise.all([this.consumerOffsetManager.idle(), this.topicConfigManager.idle(), this.subscriptionGroupManager.idle()]);
    if (opened) {
      this.consumerOffsetManager.flushSync();
      this.topicConfigManager.flushSync();
      this.subscriptionGroupManager.flushSync();
      await this.store.shutdown();
    }
    await this.brokerOuterAPI.close();
    this.logger.info(`broker ${this.config.brokerName} stopped`);
  }

  /** What the admin HTTP server shows. */
  adminHttpContext(): AdminHttpContext {
    const queues = (topic: string, n: number) => {
      const out = [];
      for (let q = 0; q < n; q++) {
        out.push({ queueId: q, minOffset: this.store.getMinOffsetInQueue(topic, q), maxOffset: this.store.getMaxOffsetInQueue(topic, q) });
      }
      return out;
    };
    return {
      logger: this.logger,
      exporter: () => buildExporterView(this),
      brokerInfo: () => ({
        brokerClusterName: this.config.brokerClusterName, brokerName: this.config.brokerName, brokerId: this.config.brokerId,
        brokerAddr: this.brokerAddr, brokerRole: this.config.brokerRole, version: 'V4_9_8', startTimeMs: this.bootTimestamp,
        namesrvAddr: this.config.namesrvAddr, storePathRootDir: this.storeConfig.storePathRootDir,
        heldPullRequests: this.pullRequestHoldService.size,
      }),
      stats: () => {
        let connections = 0;
        for (const _ of this.server.channels()) connections++;
        return {
          messagesPutTotal: this.stats.putMessages, messagesGotTotal: this.stats.getMessages,
          bytesPutTotal: this.stats.putBytes, bytesGotTotal: this.stats.getBytes,
          commitLogMinOffset: this.store.getMinPhyOffset(), commitLogMaxOffset: this.store.getMaxPhyOffset(),
          dispatchBehindBytes: this.store.dispatchBehindBytes(), pageCacheBytes: Number(this.store.runtimeInfo().pageCacheResidentBytes ?? 0), connections,
          putLatency: this.stats.putLatency.snapshot(),
          replication: this.ha && (this.ha.service || this.ha.client) ? { ...this.ha.lag(), role: this.config.brokerRole } : undefined,
        };
      },
      topics: (): TopicView[] => [...this.topicConfigManager.table.values()].map((t) => ({
        topic: t.topicName, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm,
        queues: t.readQueueNums <= 64 ? queues(t.topicName, t.readQueueNums) : undefined,
      })),
      groups: (): GroupView[] => {
        const out: GroupView[] = [];
        for (const [name, g] of this.subscriptionGroupManager.table) {
          const online = this.consumerManager.getConsumerGroupInfo(name);
          const topics = online ? [...online.subscriptions.keys()] : [...this.consumerOffsetManager.whichTopicByConsumer(name)];
          let diffTotal = 0;
          for (const topic of topics) {
            for (const [q, off] of this.consumerOffsetManager.queryOffsets(name, topic)) {
              diffTotal += Math.max(0, this.store.getMaxOffsetInQueue(topic, q) - off);
            }
          }
          out.push({
            group: name, online: online ? online.allClientIds().length : 0, consumeEnable: g.consumeEnable,
            messageModel: online?.messageModel, consumeType: online?.consumeType, topics, diffTotal,
          });
        }
        return out;
      },
    };
  }
}
