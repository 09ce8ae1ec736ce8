// The lite pull consumer: the application polls. Queues come from a subscription (rebalanced
// across the group) or from assign(); background pulls fill a bounded cache; seek moves a queue,
// commit stores the offsets of what poll() returned (automatically every 5 s with autoCommit).
import type { MessageExt, MessageQueue } from '../message.js';
import { compareMessageQueue, mqKey } from '../message.js';
import { MixAll, PullSysFlag } from '../protocol.js';
import { MQAbortError, MQClientError } from '../errors.js';
import type { ConsumerInner } from '../instance/mq-client-instance.js';
import { MQClientInstance } from '../instance/mq-client-instance.js';
import { toSubscribeInfo } from '../instance/route.js';
import { validateTopic } from '../producer/prepare.js';
import { resetRetryTopic, sleep } from './consume-types.js';
import { ConsumerBase, type ConsumerCommonOptions } from './consumer-common.js';
import { ProcessQueue } from './process-queue.js';
import type { QueueEntry, RebalanceHost } from './rebalance.js';
import { RebalanceImpl } from './rebalance.js';
import type { SubscriptionData, SubscriptionExpression } from './subscription.js';
import { buildSubscriptionData, subscriptionJson, tagMatches } from './subscription.js';
import {
  LITE_PULL_DEFAULTS, PULL_DELAY_WHEN_EXCEPTION_MS, PULL_DELAY_WHEN_FLOW_CONTROL_MS, PULL_DELAY_WHEN_PAUSE_MS,
  pullQueue, resolvePullSettings, type ConsumeFromWhere, type PullSettings,
} from './pull-step.js';

export interface LitePullConsumerOptions extends ConsumerCommonOptions {
  /** Commit what poll() returned every autoCommitIntervalMs. Default true. */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Cached pull results across all queues before pulls pause. Default 10000 messages. */
  pullThresholdForAll?: number;
  pollTimeoutMs?: number;
}

interface Assigned extends QueueEntry {
  /** Next offset to pull; undefined until computed. */
  pullOffset: number | undefined;
  /** One past the last message poll() returned. */
  consumeOffset: number;
  seekOffset: number | undefined;
  paused: boolean;
  /** Cancels the pull in flight (a seek must not wait for a held long poll). */
  inFlight?: AbortController;
}

interface ConsumeRequest { msgs: MessageExt[]; a: Assigned }

type State = 'CREATED' | 'RUNNING' | 'SHUTDOWN';

export class LitePullConsumer extends ConsumerBase implements ConsumerInner, RebalanceHost {
  readonly consumeType = 'CONSUME_ACTIVELY' as const;
  readonly consumeFromWhere: ConsumeFromWhere;
  /** Batch size and suspend times of PULL_MESSAGE, resolved once from the options. */
  private readonly pullSettings: PullSettings;
  readonly rebalance: RebalanceImpl;
  protected declare readonly options: LitePullConsumerOptions;
  private mode: 'NONE' | 'SUBSCRIBE' | 'ASSIGN' = 'NONE';
  private state: State = 'CREATED';
  private readonly assigned = new Map<string, Assigned>();
  private readonly cache: ConsumeRequest[] = [];
  private cachedCount = 0;
  private readonly pollWaiters: Array<() => void> = [];
  private lastCommitMs = Date.now();
  private readonly topicListeners: Array<(topic: string, queues: MessageQueue[]) => void> = [];

  constructor(options: LitePullConsumerOptions) {
    super(options);
    const w = options.consumeFromWhere;
    this.consumeFromWhere = w === 'FIRST' || w === 'CONSUME_FROM_FIRST_OFFSET' ? 'CONSUME_FROM_FIRST_OFFSET'
      : w === 'TIMESTAMP' || w === 'CONSUME_FROM_TIMESTAMP' ? 'CONSUME_FROM_TIMESTAMP' : 'CONSUME_FROM_LAST_OFFSET';
    this.pullSettings = resolvePullSettings(options, LITE_PULL_DEFAULTS);
    this.rebalance = new RebalanceImpl(this);
  }

  isOrderly(): boolean {
    return false;
  }

  // ---- user API ----------------------------------------------------------------------------------

  subscribe(topic: string, expression: SubscriptionExpression = '*'): this {
    if (this.mode === 'ASSIGN') throw new MQClientError('Subscribe and assign are mutually exclusive.');
    validateTopic(topic);
    this.mode = 'SUBSCRIBE';
    this.rebalance.subscriptionInner.set(topic, buildSubscriptionData(topic, expression));
    if (this.state === 'RUNNING') {
      void this.instance.updateTopicRouteInfoFromNameServer(topic).then(() => this.instance.sendHeartbeatToAllBrokers())
        .then(() => this.instance.rebalanceImmediately()).catch(() => {});
    }
    return this;
  }

  /** Takes exactly these queues (no rebalance). */
  assign(mqs: MessageQueue[]): void {
    if (this.mode === 'SUBSCRIBE') throw new MQClientError('Subscribe and assign are mutually exclusive.');
    this.mode = 'ASSIGN';
    for (const mq of mqs) if (!this.rebalance.subscriptionInner.has(mq.topic)) this.rebalance.subscriptionInner.set(mq.topic, buildSubscriptionData(mq.topic, '*'));
    this.updateAssigned(mqs);
  }

  /** Called with (topic, queues) when a rebalance changes this consumer's share of a topic. */
  onQueuesChanged(listener: (topic: string, queues: MessageQueue[]) => void): void {
    this.topicListeners.push(listener);
  }

  assignment(): MessageQueue[] {
    return [...this.assigned.values()].map((a) => a.mq).sort(compareMessageQueue);
  }

  async fetchMessageQueues(topic: string): Promise<MessageQueue[]> {
    await this.instance.updateTopicRouteInfoFromNameServer(topic);
    const r = this.instance.getTopicRoute(topic);
    if (!r) throw new MQClientError(`The topic[${topic}] not exist`);
    return toSubscribeInfo(topic, r);
  }

  async start(): Promise<void> {
    if (this.state === 'RUNNING') return;
    if (this.state === 'SHUTDOWN') throw new MQClientError('The LitePullConsumer service state is SHUTDOWN');
    const inst = MQClientInstance.getOrCreate(this.options);
    await this.openOffsetStore(inst);
    inst.registerConsumer(this);
    this._instance = inst;
    this.state = 'RUNNING';
    inst.start();
    await Promise.all([...this.rebalance.subscriptionInner.keys()].map((t) => inst.updateTopicRouteInfoFromNameServer(t).catch(() => false)));
    await inst.sendHeartbeatToAllBrokers();
    inst.refreshMissingRoutesSoon(this.rebalance.subscriptionInner.keys());
    for (const a of this.assigned.values()) void this.pullLoop(a);
    if (this.mode === 'SUBSCRIBE') await inst.rebalanceImmediately();
  }

  async shutdown(): Promise<void> {
    if (this.state !== 'RUNNING') { this.state = 'SHUTDOWN'; return; }
    if (this.options.autoCommit ?? true) await this.commitSync().catch(() => {});
    this.state = 'SHUTDOWN';
    for (const a of this.assigned.values()) { a.pq.dropped = true; a.inFlight?.abort(); }
    for (const w of this.pollWaiters.splice(0)) w();
    await this.instance.unregisterConsumer(this.groupName);
  }

  /** Messages pulled so far (waits up to timeoutMs for some); their offsets count as consumed. */
  async poll(timeoutMs = this.options.pollTimeoutMs ?? 5000): Promise<MessageExt[]> {
    if (this.state !== 'RUNNING') throw new MQClientError('The consumer not running, please start it first.');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const req = this.cache.shift();
      if (req) {
        this.cachedCount -= req.msgs.length;
        const { a, msgs } = req;
        if (a.pq.dropped || this.assigned.get(mqKey(a.mq)) !== a) continue;
        const offset = a.pq.removeMessages(msgs);
        if (offset >= 0) a.consumeOffset = offset;
        for (const m of msgs) resetRetryTopic(m, this.groupName);
        await this.maybeAutoCommit();
        return msgs;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.state !== 'RUNNING') return [];
      await Promise.race([new Promise<void>((r) => this.pollWaiters.push(r)), sleep(left)]);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<MessageExt> {
    while (this.state === 'RUNNING') {
      for (const m of await this.poll(1000)) yield m;
    }
  }

  /** The next poll of this queue starts at `offset`. */
  seek(mq: MessageQueue, offset: number): void {
    const a = this.assigned.get(mqKey(mq));
    if (!a) throw new MQClientError(`The message queue is not in assigned list, may be rebalancing, message queue: ${mqKey(mq)}`);
    a.seekOffset = offset;
    a.pq.clear();
    this.dropCached(a);
    a.inFlight?.abort();
  }

  async seekToBegin(mq: MessageQueue): Promise<void> {
    this.seek(mq, await this.brokerOffset(mq, 'min'));
  }

  async seekToEnd(mq: MessageQueue): Promise<void> {
    this.seek(mq, await this.brokerOffset(mq, 'max'));
  }

  pause(mqs: MessageQueue[]): void {
    for (const mq of mqs) { const a = this.assigned.get(mqKey(mq)); if (a) a.paused = true; }
  }

  resume(mqs: MessageQueue[]): void {
    for (const mq of mqs) { const a = this.assigned.get(mqKey(mq)); if (a) a.paused = false; }
  }

  /** Stores the offsets of what poll() returned (or the given ones) on the broker now. */
  async commitSync(offsets?: Array<{ mq: MessageQueue; offset: number }>): Promise<void> {
    const list = offsets ?? [...this.assigned.values()].filter((a) => a.consumeOffset >= 0).map((a) => ({ mq: a.mq, offset: a.consumeOffset }));
    const store = this.offsetStore;
    await Promise.all(list.map(async ({ mq, offset }) => {
      store.updateOffset(mq, offset, false);
      if (store.updateConsumeOffsetToBroker) await store.updateConsumeOffsetToBroker(mq, offset);
      else await store.persist(mq);
    }));
    this.lastCommitMs = Date.now();
  }

  /** The committed offset of a queue (-1 when none). */
  committed(mq: MessageQueue): Promise<number> {
    return this.offsetStore.readOffset(mq, 'STORE');
  }

  // ---- internals ---------------------------------------------------------------------------------

  private async maybeAutoCommit(): Promise<void> {
    if (!(this.options.autoCommit ?? true)) return;
    if (Date.now() - this.lastCommitMs < (this.options.autoCommitIntervalMs ?? 5000)) return;
    this.lastCommitMs = Date.now();
    for (const a of this.assigned.values()) if (a.consumeOffset >= 0) this.offsetStore.updateOffset(a.mq, a.consumeOffset, false);
    void this.offsetStore.persistAll(this.assignment()).catch(() => {});
  }

  private dropCached(a: Assigned): void {
    for (let i = this.cache.length - 1; i >= 0; i--) {
      if (this.cache[i]!.a === a) { this.cachedCount -= this.cache[i]!.msgs.length; this.cache.splice(i, 1); }
    }
  }

  private updateAssigned(mqs: MessageQueue[], offsets?: Map<string, number>): void {
    const wanted = new Map(mqs.map((m) => [mqKey(m), m] as const));
    for (const [k, a] of [...this.assigned]) {
      if (!wanted.has(k)) { a.pq.dropped = true; this.dropCached(a); this.assigned.delete(k); }
    }
    for (const [k, mq] of wanted) {
      if (this.assigned.has(k)) continue;
      const a: Assigned = { mq, pq: new ProcessQueue(), pullOffset: offsets?.get(k), consumeOffset: -1, seekOffset: undefined, paused: false };
      this.assigned.set(k, a);
      if (this.state === 'RUNNING') void this.pullLoop(a);
    }
  }

  private async brokerOffset(mq: MessageQueue, which: 'min' | 'max'): Promise<number> {
    const found = this.instance.findBrokerAddressInSubscribe(mq.brokerName, MixAll.MASTER_ID, false);
    if (!found) throw new MQClientError(`The broker[${mq.brokerName}] not exist`);
    return which === 'min' ? this.instance.api.getMinOffset(found.addr, mq, this.instance.apiTimeoutMs)
      : this.instance.api.getMaxOffset(found.addr, mq, this.instance.apiTimeoutMs);
  }

  private async pullLoop(a: Assigned): Promise<void> {
    const inst = this.instance;
    const { mq, pq } = a;
    while (this.state === 'RUNNING' && !pq.dropped) {
      pq.lastPullMs = Date.now();
      if (a.paused) { await sleep(PULL_DELAY_WHEN_PAUSE_MS); continue; }
      if (this.cachedCount > (this.options.pullThresholdForAll ?? 10000) || pq.msgCount > (this.options.pullThresholdForQueue ?? 1000)) {
        await sleep(PULL_DELAY_WHEN_FLOW_CONTROL_MS);
        continue;
      }
      if (a.seekOffset !== undefined) {
        a.pullOffset = a.seekOffset;
        a.consumeOffset = a.seekOffset;
        a.seekOffset = undefined;
      }
      if (a.pullOffset === undefined) {
        const o = await this.computePullFromWhere(mq);
        if (o < 0) { await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
        a.pullOffset = o;
      }
      const found = inst.findBrokerAddressInSubscribe(mq.brokerName, MixAll.MASTER_ID, false);
      if (!found) { await inst.updateTopicRouteInfoFromNameServer(mq.topic).catch(() => false); await sleep(PULL_DELAY_WHEN_EXCEPTION_MS); continue; }
      const sd: SubscriptionData = this.rebalance.subscriptionInner.get(mq.topic) ?? buildSubscriptionData(mq.topic, '*');
      const offset = a.pullOffset;
      let r;
      const ac = new AbortController();
      a.inFlight = ac;
      try {
        r = await pullQueue(inst, found.addr, this.groupName, mq, offset, sd, this.pullSettings,
          { sysFlag: PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION | PullSysFlag.LITE_PULL, commitOffset: 0, withSubscription: true }, ac.signal);
      } catch (e) {
        if (this.state !== 'RUNNING' || pq.dropped) return;
        if (e instanceof MQAbortError) continue; // seek: pull again from the new offset
        this.log.warn(`pull ${mqKey(mq)}@${offset}: ${(e as Error).message}`);
        await sleep(PULL_DELAY_WHEN_EXCEPTION_MS);
        continue;
      }
      if (this.state !== 'RUNNING' || pq.dropped) return;
      if (a.seekOffset !== undefined) continue; // a seek happened during the pull: discard
      a.pullOffset = r.nextBeginOffset;
      if (r.status !== 'FOUND') continue;
      const msgs = r.messages.filter((m) => tagMatches(sd, m.tags));
      if (msgs.length === 0) continue;
      pq.putMessages(msgs);
      this.cache.push({ msgs, a });
      this.cachedCount += msgs.length;
      for (const w of this.pollWaiters.splice(0)) w();
    }
  }

  // ---- ConsumerInner / RebalanceHost -------------------------------------------------------------

  async doRebalance(): Promise<void> {
    if (this.state === 'RUNNING' && this.mode === 'SUBSCRIBE') await this.rebalance.doRebalance();
  }

  async persistConsumerOffset(): Promise<void> {
    if (!this._offsetStore) return;
    if (this.options.autoCommit ?? true) {
      for (const a of this.assigned.values()) if (a.consumeOffset >= 0) this._offsetStore.updateOffset(a.mq, a.consumeOffset, false);
    }
    await this._offsetStore.persistAll(this.assignment());
  }

  runningInfo(): string {
    const props = { PROP_CONSUME_TYPE: this.consumeType, PROP_CLIENT_VERSION: 'V4_9_8', consumerGroup: this.groupName, messageModel: this.messageModel };
    return `{"jstack":"","mqTable":{},"properties":${JSON.stringify(props)},"statusTable":{},"subscriptionSet":${JSON.stringify(this.subscriptions().map(subscriptionJson))}}`;
  }

  async resetOffset(topic: string, offsets: Array<{ mq: MessageQueue; offset: number }>): Promise<void> {
    for (const { mq, offset } of offsets) {
      if (mq.topic !== topic) continue;
      if (this.assigned.has(mqKey(mq))) this.seek(mq, offset);
      this.offsetStore.updateOffset(mq, offset, false);
    }
  }

  async removeUnnecessaryMessageQueue(mq: MessageQueue): Promise<boolean> {
    const a = this.assigned.get(mqKey(mq));
    if (a && a.consumeOffset >= 0) this.offsetStore.updateOffset(mq, a.consumeOffset, false);
    await this.offsetStore.persist(mq).catch(() => {});
    this.offsetStore.removeOffset(mq);
    return true;
  }

  dispatchPullRequests(list: Array<QueueEntry & { nextOffset: number }>): void {
    // Rebalance owns the process queues in subscribe mode; mirror them into the assignment.
    for (const r of list) {
      const k = mqKey(r.mq);
      const old = this.assigned.get(k);
      if (old) { old.pq.dropped = true; this.dropCached(old); }
      const a: Assigned = { mq: r.mq, pq: r.pq, pullOffset: r.nextOffset, consumeOffset: -1, seekOffset: undefined, paused: false };
      this.assigned.set(k, a);
      void this.pullLoop(a);
    }
  }

  messageQueueChanged(topic: string, _mqAll: MessageQueue[], mqDivided: MessageQueue[]): void {
    const keep = new Set(mqDivided.map(mqKey));
    for (const [k, a] of [...this.assigned]) {
      if (a.mq.topic === topic && !keep.has(k)) { a.pq.dropped = true; this.dropCached(a); this.assigned.delete(k); }
    }
    for (const l of this.topicListeners) l(topic, mqDivided);
  }
}
