// The shared client instance, one per clientId (ip@instanceName) and name-server list. Producers
// and consumers register by group; the instance owns the connections (one RemotingClient), the
// topic route table, the periodic work (routes 30 s, heartbeats 30 s, offsets 5 s, rebalance 20 s)
// and the answers to broker-initiated requests. It closes itself when the last group leaves.
import { aclClientRPCHook, type SessionCredentials } from '@rmq/remoting';
import type { MessageExt, MessageQueue } from '../message.js';
import { localIPv4 } from '../message.js';
import { MixAll } from '../protocol.js';
import { MQClientError, MQTimeoutError } from '../errors.js';
import type { ClientLogger } from '../logger.js';
import { createClientLogger } from '../logger.js';
import type { SubscriptionData } from '../consumer/subscription.js';
import { subscriptionJson } from '../consumer/subscription.js';
import { MQClientAPI } from './mq-client-api.js';
import { brokerRequestHandlers } from './broker-requests.js';
import type { TopicPublishInfo, TopicRouteData } from './route.js';
import { routeFingerprint, toPublishInfo, toSubscribeInfo } from './route.js';

export interface ClientOptions {
  /** "host:port;host:port" or an array; calls fail over down the list. */
  namesrvAddr: string | string[];
  /** Default: the process id; consumers and producers with the same clientId share one instance. */
  instanceName?: string;
  clientIP?: string;
  pollNameServerIntervalMs?: number;
  heartbeatBrokerIntervalMs?: number;
  persistConsumerOffsetIntervalMs?: number;
  rebalanceIntervalMs?: number;
  /** Timeout of control requests (routes, heartbeats, offsets, locks). */
  mqClientApiTimeoutMs?: number;
  logger?: ClientLogger;
  /** ACL 1.0: sign every request like Apache's AclClientRPCHook (also `credentials`). */
  accessKey?: string;
  secretKey?: string;
  securityToken?: string;
  credentials?: SessionCredentials;
  /**
   * Request header serialization: 'rocketmq' (binary ROCKETMQ header, the default; a peer that never
   * answers it gets JSON from then on) or 'json' (what the Java client sends by default). The
   * environment variable RMQ_SERIALIZE_TYPE (json|rocketmq) sets the default.
   */
  serializeType?: 'json' | 'rocketmq';
}

/** The options' serialize type, else RMQ_SERIALIZE_TYPE, else 'rocketmq'. */
export function serializeTypeOf(o: Pick<ClientOptions, 'serializeType'>): 'json' | 'rocketmq' {
  const v = o.serializeType ?? process.env['RMQ_SERIALIZE_TYPE']?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'rocketmq') return 'rocketmq';
  if (v === 'json') return 'json';
  throw new MQClientError(`serializeType must be json or rocketmq, not ${JSON.stringify(v)}`);
}

function credentialsOf(o: ClientOptions): SessionCredentials | null {
  if (o.credentials) return o.credentials;
  if (o.accessKey !== undefined && o.secretKey !== undefined) return { accessKey: o.accessKey, secretKey: o.secretKey, securityToken: o.securityToken };
  return null;
}

export interface ProducerInner {
  readonly groupName: string;
  publishTopics(): Iterable<string>;
  updateTopicPublishInfo(topic: string, info: TopicPublishInfo): void;
  /** CHECK_TRANSACTION_STATE seam: a transaction producer answers with END_TRANSACTION. */
  checkTransactionState?(brokerAddr: string, msg: MessageExt, header: Record<string, string>): void;
}

export interface ConsumeDirectlyResult {
  order: boolean;
  autoCommit: boolean;
  consumeResult: 'CR_SUCCESS' | 'CR_LATER' | 'CR_ROLLBACK' | 'CR_COMMIT' | 'CR_THROW_EXCEPTION' | 'CR_RETURN_NULL';
  remark: string;
  spentTimeMills: number;
}

export interface ConsumerInner {
  readonly groupName: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  readonly consumeType: 'CONSUME_PASSIVELY' | 'CONSUME_ACTIVELY';
  readonly consumeFromWhere: string;
  subscriptions(): SubscriptionData[];
  updateTopicSubscribeInfo(topic: string, mqs: MessageQueue[]): void;
  doRebalance(): Promise<void>;
  persistConsumerOffset(): Promise<void>;
  /** GET_CONSUMER_RUNNING_INFO body (ConsumerRunningInfo JSON). */
  runningInfo(): string;
  resetOffset(topic: string, offsets: Array<{ mq: MessageQueue; offset: number }>): Promise<void>;
  consumerStatus?(topic: string): Array<{ mq: MessageQueue; offset: number }>;
  consumeMessageDirectly?(msg: MessageExt, brokerName: string): Promise<ConsumeDirectlyResult>;
}

interface RequestFuture {
  resolve(m: MessageExt): void;
  reject(e: Error): void;
  deadlineMs: number;
  timeoutMs: number;
  topic: string;
}

const instances = new Map<string, MQClientInstance>();

export class MQClientInstance {
  readonly clientId: string;
  readonly api: MQClientAPI;
  readonly log: ClientLogger;
  readonly apiTimeoutMs: number;
  private readonly opts: Required<Pick<ClientOptions, 'pollNameServerIntervalMs' | 'heartbeatBrokerIntervalMs' | 'persistConsumerOffsetIntervalMs' | 'rebalanceIntervalMs'>>;
  private readonly registryKey: string;
  private readonly producers = new Map<string, ProducerInner>();
  private readonly consumers = new Map<string, ConsumerInner>();
  /** brokerName -> brokerId -> address. */
  private readonly brokerAddrTable = new Map<string, Map<number, string>>();
  private readonly topicRouteTable = new Map<string, TopicRouteData>();
  private readonly routeFingerprints = new Map<string, string>();
  private readonly routeUpdates = new Map<string, Promise<boolean>>();
  private readonly requestFutures = new Map<string, RequestFuture>();
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private closed = false;
  private rebalancing: Promise<void> | null = null;
  private rebalanceAgain = false;
  private heartbeatRunning: Promise<void> | null = null;
  private heartbeatAgain = false;
  readonly startTimestamp = Date.now();

  /** The instance for these options' clientId and name servers, created on first use. */
  static getOrCreate(options: ClientOptions): MQClientInstance {
    const ip = options.clientIP ?? localIPv4();
    const clientId = `${ip}@${options.instanceName ?? String(process.pid)}`;
    const ns = (Array.isArray(options.namesrvAddr) ? options.namesrvAddr.join(';') : options.namesrvAddr);
    const key = `${clientId}|${ns}|${credentialsOf(options)?.accessKey ?? ''}|${serializeTypeOf(options)}`;
    let inst = instances.get(key);
    if (!inst || inst.closed) {
      inst = new MQClientInstance(clientId, key, options);
      instances.set(key, inst);
    }
    return inst;
  }

  private constructor(clientId: string, registryKey: string, options: ClientOptions) {
    this.clientId = clientId;
    this.registryKey = registryKey;
    this.log = options.logger ?? createClientLogger(`client ${clientId}`);
    this.apiTimeoutMs = options.mqClientApiTimeoutMs ?? 3000;
    this.opts = {
      pollNameServerIntervalMs: options.pollNameServerIntervalMs ?? 30_000,
      heartbeatBrokerIntervalMs: options.heartbeatBrokerIntervalMs ?? 30_000,
      persistConsumerOffsetIntervalMs: options.persistConsumerOffsetIntervalMs ?? 5_000,
      rebalanceIntervalMs: options.rebalanceIntervalMs ?? 20_000,
    };
    const cred = credentialsOf(options);
    this.api = new MQClientAPI({
      namesrvAddr: options.namesrvAddr, logger: this.log, rpcHook: cred ? aclClientRPCHook(cred) : undefined, serializeType: serializeTypeOf(options),
    });
    this.registerServerProcessors();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- registration ------------------------------------------------------------------------------

  registerProducer(p: ProducerInner): void {
    if (this.closed) throw new MQClientError('client instance is shut down');
    if (this.producers.has(p.groupName)) {
      throw new MQClientError(`The producer group[${p.groupName}] has been created before, specify another name please (clientId ${this.clientId}).`);
    }
    this.producers.set(p.groupName, p);
  }

  registerConsumer(c: ConsumerInner): void {
    if (this.closed) throw new MQClientError('client instance is shut down');
    if (this.consumers.has(c.groupName)) {
      throw new MQClientError(`The consumer group[${c.groupName}] has been created before, specify another name please (clientId ${this.clientId}).`);
    }
    this.consumers.set(c.groupName, c);
  }

  /**
   * The instance's CLIENT_INNER_PRODUCER (consumers resend failed messages with it), created by
   * the first consumer that needs it; it gets routes like any producer but keeps nothing alive.
   */
  innerProducer<T extends ProducerInner>(create: () => T): T {
    let p = this.producers.get(MixAll.CLIENT_INNER_PRODUCER_GROUP);
    if (!p) {
      p = create();
      this.producers.set(MixAll.CLIENT_INNER_PRODUCER_GROUP, p);
    }
    return p as T;
  }

  private userGroupCount(): number {
    return this.consumers.size + this.producers.size - (this.producers.has(MixAll.CLIENT_INNER_PRODUCER_GROUP) ? 1 : 0);
  }

  async unregisterProducer(group: string): Promise<void> {
    if (this.producers.get(group) === undefined) return;
    this.producers.delete(group);
    await this.unregisterClient({ producerGroup: group });
    await this.closeIfIdle();
  }

  async unregisterConsumer(group: string): Promise<void> {
    if (this.consumers.get(group) === undefined) return;
    this.consumers.delete(group);
    await this.unregisterClient({ consumerGroup: group });
    await this.closeIfIdle();
  }

  private async unregisterClient(group: { producerGroup?: string; consumerGroup?: string }): Promise<void> {
    const addrs = this.allBrokerAddrs();
    await Promise.all(addrs.map((a) => this.api.unregisterClient(a.addr, this.clientId, group, this.apiTimeoutMs)
      .catch((e) => this.log.warn(`unregister ${JSON.stringify(group)} at ${a.addr}: ${(e as Error).message}`))));
  }

  private async closeIfIdle(): Promise<void> {
    if (this.userGroupCount() > 0 || this.closed) return;
    this.closed = true;
    this.producers.clear();
    instances.delete(this.registryKey);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.started) await this.unregisterClient({ producerGroup: MixAll.CLIENT_INNER_PRODUCER_GROUP });
    for (const [id, f] of this.requestFutures) {
      f.reject(new MQClientError('client instance shut down before the reply came'));
      this.requestFutures.delete(id);
    }
    await this.api.close().catch(() => {});
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Starts the periodic services once; later calls return at once. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => { fn().catch((e) => this.log.warn(`periodic task: ${(e as Error).message}`)); }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.pollNameServerIntervalMs, () => this.updateAllTopicRoutes());
    every(this.opts.heartbeatBrokerIntervalMs, async () => { this.cleanOfflineBroker(); await this.sendHeartbeatToAllBrokers(); });
    every(this.opts.persistConsumerOffsetIntervalMs, () => this.persistAllConsumerOffsets());
    every(this.opts.rebalanceIntervalMs, async () => this.rebalanceImmediately());
    every(1000, async () => this.sweepExpiredRequests());
  }

  // ---- routes --------------------------------------------------------------------------------

  private topicsInUse(): Set<string> {
    const topics = new Set<string>();
    for (const p of this.producers.values()) for (const t of p.publishTopics()) topics.add(t);
    for (const c of this.consumers.values()) for (const sd of c.subscriptions()) topics.add(sd.topic);
    return topics;
  }

  async updateAllTopicRoutes(): Promise<void> {
    await Promise.all([...this.topicsInUse()].map((t) => this.updateTopicRouteInfoFromNameServer(t).catch((e) => {
      this.log.debug(`route of ${t}: ${(e as Error).message}`);
      return false;
    })));
  }

  /**
   * Fetches a topic's route and spreads it to producers and consumers. With `defaultTopic`, the
   * route of that template topic (TBW102) stands in for a topic the broker will auto-create.
   * Resolves true when the route changed.
   */
  updateTopicRouteInfoFromNameServer(topic: string, defaultTopic?: { topic: string; queueNums: number }): Promise<boolean> {
    const key = defaultTopic ? `${topic}\u0000${defaultTopic.topic}` : topic;
    const running = this.routeUpdates.get(key);
    if (running) return running;
    const p = this.doUpdateRoute(topic, defaultTopic).finally(() => this.routeUpdates.delete(key));
    this.routeUpdates.set(key, p);
    return p;
  }

  private async doUpdateRoute(topic: string, defaultTopic?: { topic: string; queueNums: number }): Promise<boolean> {
    let route = await this.api.getTopicRouteInfoFromNameServer(defaultTopic ? defaultTopic.topic : topic, this.apiTimeoutMs);
    if (!route) return false;
    if (defaultTopic) {
      route = {
        ...route,
        queueDatas: route.queueDatas.map((q) => {
          const n = Math.min(defaultTopic.queueNums, q.readQueueNums);
          return { ...q, readQueueNums: n, writeQueueNums: n };
        }),
      };
    }
    const fp = routeFingerprint(route);
    const changed = this.routeFingerprints.get(topic) !== fp;
    if (!changed) {
      // Same route; still hand it to a producer or consumer that started using the topic since.
      this.spreadRoute(topic, route);
      return false;
    }
    this.routeFingerprints.set(topic, fp);
    this.topicRouteTable.set(topic, route);
    let newBroker = false;
    for (const bd of route.brokerDatas) {
      let m = this.brokerAddrTable.get(bd.brokerName);
      if (!m) { m = new Map(); this.brokerAddrTable.set(bd.brokerName, m); }
      for (const [id, addr] of Object.entries(bd.brokerAddrs)) {
        if (m.get(Number(id)) !== addr) newBroker = true;
        m.set(Number(id), addr);
      }
      // As Java's brokerAddrTable.put(brokerName, brokerAddrs): an id the route no longer lists (a dead
      // master) is dropped, so pulls and offset commits fall back to the slave (findBrokerAddressInSubscribe).
      for (const id of [...m.keys()]) if (bd.brokerAddrs[String(id)] === undefined) m.delete(id);
    }
    this.spreadRoute(topic, route);
    // A broker we have never told about our groups would refuse pulls until the next heartbeat.
    if (newBroker && this.started) void this.sendHeartbeatToAllBrokers();
    // New or moved queues of a subscribed topic: share them out now rather than at the next tick.
    if (this.started && [...this.consumers.values()].some((c) => c.subscriptions().some((sd) => sd.topic === topic))) {
      void this.rebalanceImmediately();
    }
    return true;
  }

  /**
   * Topics without a route yet (a retry topic the broker creates on our first heartbeat, a topic
   * about to be created) are asked for again after 1, 2 and 4 s instead of waiting for the 30 s poll.
   */
  refreshMissingRoutesSoon(topics: Iterable<string>): void {
    const missing = [...topics].filter((t) => !this.topicRouteTable.has(t));
    if (missing.length === 0) return;
    let delay = 1000;
    const retry = () => {
      if (this.closed) return;
      const still = missing.filter((t) => !this.topicRouteTable.has(t));
      if (still.length === 0) return;
      void Promise.all(still.map((t) => this.updateTopicRouteInfoFromNameServer(t).catch(() => false))).then(() => {
        delay *= 2;
        if (delay <= 4000) setTimeout(retry, delay).unref();
      });
    };
    setTimeout(retry, delay).unref();
  }

  private spreadRoute(topic: string, route: TopicRouteData): void {
    const publish = toPublishInfo(topic, route);
    for (const p of this.producers.values()) p.updateTopicPublishInfo(topic, publish);
    const sub = toSubscribeInfo(topic, route);
    for (const c of this.consumers.values()) c.updateTopicSubscribeInfo(topic, sub);
  }

  getTopicRoute(topic: string): TopicRouteData | undefined {
    return this.topicRouteTable.get(topic);
  }

  /** Forgets broker addresses no topic route mentions any more. */
  cleanOfflineBroker(): void {
    const live = new Set<string>();
    for (const r of this.topicRouteTable.values()) for (const bd of r.brokerDatas) for (const a of Object.values(bd.brokerAddrs)) live.add(a);
    for (const [name, m] of this.brokerAddrTable) {
      for (const [id, addr] of m) {
        if (!live.has(addr)) {
          m.delete(id);
          this.api.remoting.closeChannel(addr);
          this.log.info(`broker ${name}[${id}] ${addr} is offline, dropped`);
        }
      }
      if (m.size === 0) this.brokerAddrTable.delete(name);
    }
  }

  allBrokerAddrs(): Array<{ brokerName: string; brokerId: number; addr: string }> {
    const out: Array<{ brokerName: string; brokerId: number; addr: string }> = [];
    for (const [brokerName, m] of this.brokerAddrTable) for (const [brokerId, addr] of m) out.push({ brokerName, brokerId, addr });
    return out;
  }

  findBrokerAddressInPublish(brokerName: string): string | undefined {
    return this.brokerAddrTable.get(brokerName)?.get(MixAll.MASTER_ID);
  }

  findBrokerAddressInSubscribe(brokerName: string, brokerId: number, onlyThisBroker: boolean): { addr: string; slave: boolean } | undefined {
    const m = this.brokerAddrTable.get(brokerName);
    if (!m || m.size === 0) return undefined;
    const addr = m.get(brokerId);
    if (addr) return { addr, slave: brokerId !== MixAll.MASTER_ID };
    if (onlyThisBroker) return undefined;
    const [id, any] = m.entries().next().value as [number, string];
    return { addr: any, slave: id !== MixAll.MASTER_ID };
  }

  /** Any broker of the topic's route (GET_CONSUMER_LIST_BY_GROUP goes there). */
  findBrokerAddrByTopic(topic: string): string | undefined {
    const r = this.topicRouteTable.get(topic);
    if (!r || r.brokerDatas.length === 0) return undefined;
    const bd = r.brokerDatas[Math.floor(Math.random() * r.brokerDatas.length)]!;
    return bd.brokerAddrs['0'] ?? Object.values(bd.brokerAddrs)[0];
  }

  async findConsumerIdList(topic: string, group: string): Promise<string[]> {
    let addr = this.findBrokerAddrByTopic(topic);
    if (!addr) {
      await this.updateTopicRouteInfoFromNameServer(topic);
      addr = this.findBrokerAddrByTopic(topic);
    }
    if (!addr) return [];
    return this.api.getConsumerIdListByGroup(addr, group, this.apiTimeoutMs);
  }

  // ---- heartbeats, offsets, rebalance --------------------------------------------------------

  heartbeatJson(): string {
    const consumerDataSet = [...this.consumers.values()].map((c) => ({
      consumeFromWhere: c.consumeFromWhere,
      consumeType: c.consumeType,
      groupName: c.groupName,
      messageModel: c.messageModel,
      subscriptionDataSet: c.subscriptions().map(subscriptionJson),
      unitMode: false,
    }));
    const producerDataSet = [{ groupName: MixAll.CLIENT_INNER_PRODUCER_GROUP }, ...[...this.producers.keys()]
      .filter((g) => g !== MixAll.CLIENT_INNER_PRODUCER_GROUP).map((groupName) => ({ groupName }))];
    return JSON.stringify({ clientID: this.clientId, consumerDataSet, producerDataSet });
  }

  /** HEART_BEAT to every known broker (masters only when this instance has no consumer). */
  sendHeartbeatToAllBrokers(): Promise<void> {
    // A call during a run may carry news (a new group, a new subscription): it gets one more run.
    if (this.heartbeatRunning) {
      this.heartbeatAgain = true;
      return this.heartbeatRunning;
    }
    const once = async () => {
      if (this.closed || this.userGroupCount() === 0) return;
      const body = this.heartbeatJson();
      const onlyMasters = this.consumers.size === 0;
      await Promise.all(this.allBrokerAddrs().filter((a) => !onlyMasters || a.brokerId === MixAll.MASTER_ID).map((a) =>
        this.api.sendHeartbeat(a.addr, body, this.apiTimeoutMs).catch((e) => this.log.warn(`heartbeat to ${a.addr}: ${(e as Error).message}`))));
    };
    const run = async () => {
      do {
        this.heartbeatAgain = false;
        await once();
      } while (this.heartbeatAgain && !this.closed);
    };
    this.heartbeatRunning = run().finally(() => { this.heartbeatRunning = null; });
    return this.heartbeatRunning;
  }

  async persistAllConsumerOffsets(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.persistConsumerOffset().catch((e) => this.log.warn(`persist offsets of ${c.groupName}: ${(e as Error).message}`))));
  }

  /** Runs a rebalance of every consumer now; a request during a run schedules one more run. */
  rebalanceImmediately(): Promise<void> {
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    const run = async () => {
      do {
        this.rebalanceAgain = false;
        for (const c of [...this.consumers.values()]) {
          await c.doRebalance().catch((e) => this.log.warn(`rebalance of ${c.groupName}: ${(e as Error).message}`));
        }
      } while (this.rebalanceAgain && !this.closed);
    };
    this.rebalancing = run().finally(() => { this.rebalancing = null; });
    return this.rebalancing;
  }

  // ---- request-reply -------------------------------------------------------------------------

  registerRequestFuture(correlationId: string, topic: string, timeoutMs: number): Promise<MessageExt> {
    return new Promise<MessageExt>((resolve, reject) => {
      this.requestFutures.set(correlationId, { resolve, reject, deadlineMs: Date.now() + timeoutMs, timeoutMs, topic });
    });
  }

  cancelRequestFuture(correlationId: string, err: Error): void {
    const f = this.requestFutures.get(correlationId);
    if (!f) return;
    this.requestFutures.delete(correlationId);
    f.reject(err);
  }

  private sweepExpiredRequests(): void {
    const now = Date.now();
    for (const [id, f] of this.requestFutures) {
      if (now < f.deadlineMs) continue;
      this.requestFutures.delete(id);
      f.reject(new MQTimeoutError(`send request message to <${f.topic}> OK, but wait reply message timeout, ${f.timeoutMs} ms.`));
    }
  }

  // ---- broker-initiated requests -------------------------------------------------------------

  private registerServerProcessors(): void {
    const handlers = brokerRequestHandlers({
      log: this.log,
      producer: (group) => this.producers.get(group),
      consumer: (group) => this.consumers.get(group),
      rebalanceNow: () => void this.rebalanceImmediately(),
      completeRequest: (correlationId, reply) => {
        const f = this.requestFutures.get(correlationId);
        if (!f) return false;
        this.requestFutures.delete(correlationId);
        f.resolve(reply);
        return true;
      },
    });
    for (const [code, handler] of handlers) this.api.registerProcessor(code, handler);
  }
}

