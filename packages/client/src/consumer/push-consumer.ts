// The push consumer: pulls with long polling (the broker holds an empty pull up to 15 s) from the
// queues rebalance assigns it, buffers per queue under flow-control limits, and hands messages
// to a handler (concurrently or orderly) or to a `for await` loop.
import type { MessageExt, MessageQueue } from '../message.js';
import { mqKey } from '../message.js';
import { MessageConst, MixAll, PullSysFlag, ResponseCode, retryTopic } from '../protocol.js';
import { MQBrokerError, MQClientError } from '../errors.js';
import { PULL_SUBSCRIPTION_RETRY_CODES } from '@rmq/remoting';
import {
  PULL_DELAY_WHEN_EXCEPTION_MS, PULL_DELAY_WHEN_FLOW_CONTROL_MS, PULL_DELAY_WHEN_PAUSE_MS, PUSH_PULL_DEFAULTS,
  parseConsumeTimestamp, pullQueue, resolvePullSettings, type ConsumeFromWhere, type PullSettings,
} from './pull-step.js';
import type { ConsumeDirectlyResult, ConsumerInner } from '../instance/mq-client-instance.js';
import { MQClientInstance } from '../instance/mq-client-instance.js';
import { Producer } from '../producer/producer.js';
import { validateTopic } from '../producer/prepare.js';
import { ConsumeConcurrentlyService } from './consume-concurrently.js';
import { ConsumeOrderlyService } from './consume-orderly.js';
import type { ConsumeHost, ConsumeService, MessageHandler } from './consume-types.js';
import { callHandler, sleep } from './consume-types.js';
import { MessageChannel } from './message-channel.js';
import { ConsumerBase, type ConsumerCommonOptions } from './consumer-common.js';
import type { ProcessQueue } from './process-queue.js';
import type { QueueEntry, RebalanceHost } from './rebalance.js';
import { RebalanceImpl } from './rebalance.js';
import type { SubscriptionData, SubscriptionExpression } from './subscription.js';
import { buildSubscriptionData, subscriptionJson, tagMatches } from './subscription.js';

export type { ConsumeFromWhere };
export { parseConsumeTimestamp, PULL_DELAY_WHEN_EXCEPTION_MS, PULL_DELAY_WHEN_FLOW_CONTROL_MS };

export interface PushConsumerOptions extends ConsumerCommonOptions {
  /** Handler calls in flight at once (concurrent mode). Default 20. */
  consumeConcurrency?: number;
  orderly?: boolean;
  /** Deliveries before a message goes to %DLQ%group. Default 16 (orderly: unlimited). */
  maxReconsumeTimes?: number;
  /** Flow control: cached body bytes per queue. Default 100 MiB. */
  pullThresholdSizeForQueueBytes?: number;
  /** Flow control: offset span of cached messages per queue (concurrent). Default 2000. */
  consumeConcurrentlyMaxSpan?: number;
  pullIntervalMs?: number;
  suspendCurrentQueueTimeMs?: number;
  /** Send the subscription with every pull instead of relying on the heartbeat. Default false. */
  postSubscriptionWhenPull?: boolean;
}

/** Wait before a queue dropped on OFFSET_ILLEGAL gets its offset fixed (Apache: 10 s). */
export const OFFSET_ILLEGAL_RECOVER_MS = 10_000;

type State = 'CREATED' | 'RUNNING' | 'SHUTDOWN';

function normalizeFromWhere(v: PushConsumerOptions['consumeFromWhere']): ConsumeFromWhere {
  switch (v) {
    case undefined: case 'LAST': case 'CONSUME_FROM_LAST_OFFSET': return 'CONSUME_FROM_LAST_OFFSET';
    case 'FIRST': case 'CONSUME_FROM_FIRST_OFFSET': return 'CONSUME_FROM_FIRST_OFFSET';
    case 'TIMESTAMP': case 'CONSUME_FROM_TIMESTAMP': return 'CONSUME_FROM_TIMESTAMP';
    default: throw new MQClientError(`unknown consumeFromWhere ${String(v)}`);
  }
}

export class PushConsumer extends ConsumerBase implements ConsumerInner, RebalanceHost, ConsumeHost {
  readonly consumeType = 'CONSUME_PASSIVELY' as const;
  readonly consumeFromWhere: ConsumeFromWhere;
  readonly maxReconsumeTimes: number;
  readonly suspendCurrentQueueTimeMs: number;
  /** Batch size and suspend times of PULL_MESSAGE, resolved once from the options. */
  private readonly pullSettings: PullSettings;
  readonly consumeConcurrency: number;
  readonly rebalance: RebalanceImpl;
  protected declare readonly options: PushConsumerOptions;
  private readonly orderly: boolean;
  private state: State = 'CREATED';
  private paused = false;
  private consumeService: ConsumeService | null = null;
  private userHandler: MessageHandler | null = null;
  private channel: MessageChannel | null = null;
  private innerProducer: Producer | null = null;
  private readonly suggestedBroker = new Map<string, number>();
  private lockTimer: NodeJS.Timeout | null = null;
  private readonly startTimestamp = Date.now();

  constructor(options: PushConsumerOptions) {
    super(options);
    this.consumeFromWhere = normalizeFromWhere(options.consumeFromWhere);
    this.orderly = options.orderly ?? false;
    this.maxReconsumeTimes = options.maxReconsumeTimes ?? (this.orderly ? -1 : 16);
    this.suspendCurrentQueueTimeMs = options.suspendCurrentQueueTimeMs ?? 1000;
    this.pullSettings = resolvePullSettings(options, PUSH_PULL_DEFAULTS);
    this.consumeConcurrency = Math.max(1, options.consumeConcurrency ?? 20);
    this.rebalance = new RebalanceImpl(this);
  }

  get clientId(): string | undefined {
    return this._instance?.clientId;
  }

  isOrderly(): boolean {
    return this.orderly;
  }

  isRunning(): boolean {
    return this.state === 'RUNNING';
  }

  // ---- user API ----------------------------------------------------------------------------------

  /** Subscribes a topic with a tag expression ('*', 'TagA || TagB') or an SQL92 filter. */
  subscribe(topic: string, expression: SubscriptionExpression = '*'): this {
    validateTopic(topic);
    const sd = buildSubscriptionData(topic, expression);
    this.rebalance.subscriptionInner.set(topic, sd);
    if (this.state === 'RUNNING') {
      void this.instance.updateTopicRouteInfoFromNameServer(topic).then(() => this.instance.sendHeartbeatToAllBrokers())
        .then(() => this.instance.rebalanceImmediately()).catch((e) => this.log.warn(`subscribe ${topic}: ${(e as Error).message}`));
    }
    return this;
  }

  unsubscribe(topic: string): void {
    this.rebalance.subscriptionInner.delete(topic);
  }

  onMessage(handler: MessageHandler): this {
    if (this.channel) throw new MQClientError('this consumer is already used as an async iterator');
    this.userHandler = handler;
    return this;
  }

  /** `for await (const msg of consumer)`: each message counts as consumed when the loop moves on. */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageExt> {
    if (this.userHandler && !this.channel) throw new MQClientError('this consumer already has a handler (onMessage)');
    if (!this.channel) this.channel = new MessageChannel();
    this.userHandler = this.channel.handler;
    return this.channel.iterator(() => {});
  }

  handler(): MessageHandler {
    if (!this.userHandler) throw new MQClientError('no message handler: call onMessage() or iterate the consumer');
    return this.userHandler;
  }

  /** Stops pulling (cached messages are still consumed) until resume(). */
  suspend(): void { this.paused = true; }
  resume(): void { this.paused = false; }

  async start(): Promise<void> {
    if (this.state === 'RUNNING') return;
    if (this.state === 'SHUTDOWN') throw new MQClientError('The PushConsumer service state is SHUTDOWN; create a new PushConsumer');
    if (!this.userHandler && !this.channel) {
      // An iterator may be created right after start(); messages wait in the channel until then.
      this.channel = new MessageChannel();
      this.userHandler = this.channel.handler;
    }
    if (this.rebalance.subscriptionInner.size === 0) throw new MQClientError('subscribe at least one topic before start()');
    const inst = MQClientInstance.getOrCreate(this.options);
    if (this.messageModel === 'CLUSTERING') {
      const rt = retryTopic(this.groupName);
      if (!this.rebalance.subscriptionInner.has(rt)) this.rebalance.subscriptionInner.set(rt, buildSubscriptionData(rt, '*'));
    }
    await this.openOffsetStore(inst);
    inst.registerConsumer(this);
    this._instance = inst;
    this.innerProducer = inst.innerProducer(() => new Producer({ ...this.options, groupName: MixAll.CLIENT_INNER_PRODUCER_GROUP }, { instance: inst }));
    this.consumeService = this.orderly ? new ConsumeOrderlyService(this) : new ConsumeConcurrentlyService(this);
    this.state = 'RUNNING';
    inst.start();
    await Promise.all([...this.rebalance.subscriptionInner.keys()].map((t) => inst.updateTopicRouteInfoFromNameServer(t).catch((e) => {
      if (!t.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) this.log.warn(`route of ${t}: ${(e as Error).message}`);
      return false;
    })));
    await inst.sendHeartbeatToAllBrokers();
    inst.refreshMissingRoutesSoon(this.rebalance.subscriptionInner.keys());
    if (this.orderly && this.messageModel === 'CLUSTERING') {
      this.lockTimer = setInterval(() => { void this.rebalance.lockAll(); }, 20_000);
      this.lockTimer.unref();
    }
    await inst.rebalanceImmediately();
  }

  async shutdown(): Promise<void> {
    if (this.state !== 'RUNNING') { this.state = 'SHUTDOWN'; return; }
    this.state = 'SHUTDOWN';
    if (this.lockTimer) clearInterval(this.lockTimer);
    this.channel?.close();
    await this.consumeService?.drain(5000);
    this.consumeService?.shutdown();
    for (const e of this.rebalance.processQueueTable.values()) e.pq.dropped = true;
    await this.persistConsumerOffset(true);
    if (this.orderly && this.messageModel === 'CLUSTERING') await this.rebalance.unlockAll(false);
    await this.instance.unregisterConsumer(this.groupName);
  }

  // ---- ConsumerInner -----------------------------------------------------------------------------

  async doRebalance(): Promise<void> {
    if (this.state !== 'RUNNING') return;
    await this.rebalance.doRebalance();
  }

  async persistConsumerOffset(sync = false): Promise<void> {
    if (!this._offsetStore) return;
    const mqs = [...this.rebalance.processQueueTable.values()].map((e) => e.mq);
    if (sync && this._offsetStore.updateConsumeOffsetToBroker) {
      const store = this._offsetStore;
      await Promise.all(store.entries().filter((e) => mqs.some((m) => mqKey(m) === mqKey(e.mq)))
        .map((e) => store.updateConsumeOffsetToBroker!(e.mq, e.offset).catch((err) => this.log.warn(`commit ${mqKey(e.mq)}: ${(err as Error).message}`))));
      return;
    }
    await this._offsetStore.persistAll(mqs);
  }

  runningInfo(): string {
    const props = {
      PROP_NAMESERVER_ADDR: this.instance.api.nameServerAddressList().join(';'),
      PROP_THREADPOOL_CORE_SIZE: String(this.consumeConcurrency),
      PROP_CONSUME_TYPE: this.consumeType,
      PROP_CONSUMEORDERLY: String(this.orderly),
      PROP_CLIENT_VERSION: 'V4_9_8',
      PROP_CONSUMER_START_TIMESTAMP: String(this.startTimestamp),
      messageModel: this.messageModel,
      consumeFromWhere: this.consumeFromWhere,
      consumerGroup: this.groupName,
    };
    const mqTable = [...this.rebalance.processQueueTable.values()].map((e) =>
      `${JSON.stringify({ brokerName: e.mq.brokerName, queueId: e.mq.queueId, topic: e.mq.topic })}:${JSON.stringify({
        ...e.pq.info(), commitOffset: this._offsetStore?.entries().find((x) => mqKey(x.mq) === mqKey(e.mq))?.offset ?? -1,
      })}`);
    return `{"jstack":"","mqTable":{${mqTable.join(',')}},"properties":${JSON.stringify(props)},"statusTable":{},"subscriptionSet":${JSON.stringify(this.subscriptions().map(subscriptionJson))}}`;
  }

  async resetOffset(topic: string, offsets: Array<{ mq: MessageQueue; offset: number }>): Promise<void> {
    const wasPaused = this.paused;
    this.paused = true;
    const held = [...this.rebalance.processQueueTable.entries()].filter(([, e]) => e.mq.topic === topic);
    try {
      for (const [, e] of held) {
        e.pq.dropped = true;
        e.pq.awaitingOffsetFix = true;
        e.pq.clear();
      }
      await sleep(100);
      for (const { mq, offset } of offsets) {
        if (mq.topic !== topic || !held.some(([k]) => k === mqKey(mq))) continue;
        this.offsetStore.updateOffset(mq, offset, false);
        if (this.offsetStore.updateConsumeOffsetToBroker) await this.offsetStore.updateConsumeOffsetToBroker(mq, offset).catch(() => {});
        else await this.offsetStore.persist(mq).catch(() => {});
      }
      for (const [k, e] of held) {
        if (this.rebalance.processQueueTable.get(k) === e) this.rebalance.processQueueTable.delete(k);
      }
    } finally {
      this.paused = wasPaused;
    }
    await this.instance.rebalanceImmediately();
  }

  async consumeMessageDirectly(msg: MessageExt, _brokerName: string): Promise<ConsumeDirectlyResult> {
    const begin = Date.now();
    const r = await callHandler(this.handler(), msg, this.log);
    return {
      order: this.orderly, autoCommit: true,
      consumeResult: r.error !== undefined ? 'CR_THROW_EXCEPTION' : r.ok ? 'CR_SUCCESS' : 'CR_LATER',
      remark: r.error !== undefined ? String((r.error as Error)?.message ?? r.error) : '', spentTimeMills: Date.now() - begin,
    };
  }

  // ---- RebalanceHost -----------------------------------------------------------------------------

  async removeUnnecessaryMessageQueue(mq: MessageQueue, pq: ProcessQueue): Promise<boolean> {
    const store = this.offsetStore;
    if (this.orderly && this.messageModel === 'CLUSTERING') {
      // Let the message in the handler finish so that its commit lands before the lock is released.
      for (let i = 0; i < 100 && pq.consuming; i++) await sleep(10);
      if (pq.consuming) { pq.tryUnlockTimes++; return false; }
    }
    const off = store.entries().find((e) => mqKey(e.mq) === mqKey(mq))?.offset;
    if (off !== undefined && store.updateConsumeOffsetToBroker) {
      await store.updateConsumeOffsetToBroker(mq, off).catch((e) => this.log.warn(`commit ${mqKey(mq)}: ${(e as Error).message}`));
    } else {
      await store.persist(mq).catch(() => {});
    }
    store.removeOffset(mq);
    if (this.orderly && this.messageModel === 'CLUSTERING') await this.rebalance.unlock(mq, false);
    return true;
  }

  dispatchPullRequests(list: Array<QueueEntry & { nextOffset: number }>): void {
    for (const r of list) void this.pullLoop(r.mq, r.pq, r.nextOffset);
  }

  // ---- ConsumeHost -------------------------------------------------------------------------------

  async sendMessageBack(msg: MessageExt, delayLevel: number, brokerName: string): Promise<boolean> {
    const inst = this.instance;
    const addr = (brokerName && inst.findBrokerAddressInPublish(brokerName)) || msg.storeHost;
    try {
      await inst.api.consumerSendMessageBack(addr, brokerName, msg, this.groupName, delayLevel, this.maxReconsumeTimes < 0 ? 0x7fffffff : this.maxReconsumeTimes, 3000);
      return true;
    } catch (e) {
      this.log.warn(`sendMessageBack ${msg.msgId} to ${addr}: ${(e as Error).message}; resending to the retry topic`);
    }
    try {
      const props = new Map(Object.entries(msg.properties));
      const origin = props.get(MessageConst.ORIGIN_MESSAGE_ID);
      props.set(MessageConst.ORIGIN_MESSAGE_ID, origin || msg.msgId);
      props.set(MessageConst.RETRY_TOPIC, msg.topic);
      props.set(MessageConst.RECONSUME_TIME, String(msg.reconsumeTimes + 1));
      props.set(MessageConst.MAX_RECONSUME_TIMES, String(this.maxReconsumeTimes < 0 ? 0x7fffffff : this.maxReconsumeTimes));
      props.delete(MessageConst.TRANSACTION_PREPARED);
      if (delayLevel >= 0) props.set(MessageConst.DELAY_TIME_LEVEL, String(3 + msg.reconsumeTimes));
      await this.innerProducer!.sendWithProperties(retryTopic(this.groupName), msg.body, msg.flag, props);
      return true;
    } catch (e) {
      this.log.warn(`resend ${msg.msgId} to the retry topic failed: ${(e as Error).message}`);
      return false;
    }
  }

  // ---- pulling -----------------------------------------------------------------------------------

  private async pullLoop(mq: MessageQueue, pq: ProcessQueue, nextOffset: number): Promise<void> {
    const key = mqKey(mq);
    const inst = this.instance;
    const clustering = this.messageModel === 'CLUSTERING';
    const thresholdCount = this.options.pullThresholdForQueue ?? 1000;
    const thresholdBytes = this.options.pullThresholdSizeForQueueBytes ?? 100 * 1024 * 1024;
    const maxSpan = this.options.consumeConcurrentlyMaxSpan ?? 2000;
    let offset = nextOffset;
    let previouslyLocked = false;
    while (this.state === 'RUNNING' && !pq.dropped) {
      pq.lastPullMs = Date.now();
      if (this.paused) { await sleep(PULL_DELAY_WHEN_PAUSE_MS); continue; }
      if (pq.msgCount > thresholdCount || pq.msgSizeBytes > thresholdBytes || (!this.orderly && pq.maxSpan() > maxSpan)) {
        await sleep(PULL_DELAY_WHEN_FLOW_CONTROL_MS);
        continue;
      }
      if (this.orderly && clustering) {
        if (!pq.locked) { await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
        if (!previouslyLocked) {
          // The queue may have been consumed elsewhere until we got the lock: start from the store.
          const o = await this.computePullFromWhere(mq);
          if (o < 0) { await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
          offset = o;
          previouslyLocked = true;
        }
      }
      const sd = this.rebalance.subscriptionInner.get(mq.topic);
      if (!sd) { await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
      const brokerId = this.suggestedBroker.get(key) ?? MixAll.MASTER_ID;
      let found = inst.findBrokerAddressInSubscribe(mq.brokerName, brokerId, false);
      if (!found) {
        await inst.updateTopicRouteInfoFromNameServer(mq.topic).catch(() => false);
        found = inst.findBrokerAddressInSubscribe(mq.brokerName, brokerId, false);
        if (!found) { await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
      }
      let commitOffset = 0;
      if (clustering) commitOffset = await this.offsetStore.readOffset(mq, 'MEMORY');
      const post = this.options.postSubscriptionWhenPull ?? false;
      let sysFlag = PullSysFlag.SUSPEND;
      if (commitOffset > 0 && !found.slave) sysFlag |= PullSysFlag.COMMIT_OFFSET;
      if (post) sysFlag |= PullSysFlag.SUBSCRIPTION;
      let r;
      try {
        r = await pullQueue(inst, found.addr, this.groupName, mq, offset, sd, this.pullSettings, { sysFlag, commitOffset, withSubscription: post });
      } catch (e) {
        if (this.state !== 'RUNNING' || pq.dropped) break;
        if (e instanceof MQBrokerError && PULL_SUBSCRIPTION_RETRY_CODES.has(e.responseCode)) {
          // The broker lost or has an older copy of our subscription (e.g. it restarted): tell it now.
          void inst.sendHeartbeatToAllBrokers();
        }
        this.log.warn(`pull ${key}@${offset}: ${(e as Error).message}`);
        await sleep(PULL_DELAY_WHEN_EXCEPTION_MS);
        continue;
      }
      this.suggestedBroker.set(key, r.suggestWhichBrokerId);
      if (this.state !== 'RUNNING' || pq.dropped) break;
      switch (r.status) {
        case 'FOUND': {
          // tagMatches(sd, undefined) is true only when the subscription takes every message
          const msgs = tagMatches(sd, undefined) ? r.messages : r.messages.filter((m) => tagMatches(sd, m.tags));
          const minText = String(r.minOffset);
          const maxText = String(r.maxOffset);
          for (const m of msgs) {
            m.properties[MessageConst.MIN_OFFSET] = minText;
            m.properties[MessageConst.MAX_OFFSET] = maxText;
          }
          offset = r.nextBeginOffset;
          if (msgs.length === 0) {
            if (pq.msgCount === 0) this.offsetStore.updateOffset(mq, offset, true);
            continue;
          }
          pq.putMessages(msgs);
          this.consumeService!.submit(msgs, pq, mq);
          if (this.options.pullIntervalMs) await sleep(this.options.pullIntervalMs);
          break;
        }
        case 'NO_NEW_MSG':
        case 'NO_MATCHED_MSG':
          offset = r.nextBeginOffset;
          if (pq.msgCount === 0) this.offsetStore.updateOffset(mq, offset, true);
          break;
        case 'OFFSET_ILLEGAL': {
          this.log.warn(`the pull request offset illegal, ${key} ${offset} -> ${r.nextBeginOffset}`);
          pq.dropped = true;
          pq.awaitingOffsetFix = true;
          const next = r.nextBeginOffset;
          setTimeout(() => {
            if (this.state !== 'RUNNING') return;
            this.offsetStore.updateOffset(mq, next, false);
            void this.offsetStore.persist(mq).catch(() => {});
            const cur = this.rebalance.processQueueTable.get(key);
            if (cur && cur.pq === pq) this.rebalance.processQueueTable.delete(key);
          }, OFFSET_ILLEGAL_RECOVER_MS).unref();
          return;
        }
      }
    }
  }
}
