// Rebalance (RebalanceImpl): for each subscribed topic, share the readable queues among the
// group's live clients with the allocation strategy, then start pulling the new ones and stop the
// ones given away. Orderly consumers also hold broker-side locks on their queues.
import type { MessageQueue } from '../message.js';
import { compareMessageQueue, mqKey } from '../message.js';
import { MixAll } from '../protocol.js';
import type { MQClientInstance } from '../instance/mq-client-instance.js';
import type { AllocateStrategy } from './allocate-strategies.js';
import { ProcessQueue } from './process-queue.js';
import type { SubscriptionData } from './subscription.js';

export interface QueueEntry {
  mq: MessageQueue;
  pq: ProcessQueue;
}

export interface RebalanceHost {
  readonly groupName: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  readonly consumeType: 'CONSUME_PASSIVELY' | 'CONSUME_ACTIVELY';
  readonly instance: MQClientInstance;
  readonly strategy: AllocateStrategy;
  isOrderly(): boolean;
  /** Persist and forget the queue's offset; true when the queue may be given away now. */
  removeUnnecessaryMessageQueue(mq: MessageQueue, pq: ProcessQueue): Promise<boolean>;
  /** Where to start pulling a newly assigned queue; < 0 means "not now". */
  computePullFromWhere(mq: MessageQueue): Promise<number>;
  removeDirtyOffset(mq: MessageQueue): void;
  /** New queues to pull from, with their first offsets. */
  dispatchPullRequests(list: Array<QueueEntry & { nextOffset: number }>): void;
  messageQueueChanged?(topic: string, mqAll: MessageQueue[], mqDivided: MessageQueue[]): void;
}

export class RebalanceImpl {
  readonly subscriptionInner = new Map<string, SubscriptionData>();
  readonly topicSubscribeInfo = new Map<string, MessageQueue[]>();
  readonly processQueueTable = new Map<string, QueueEntry>();

  constructor(private readonly host: RebalanceHost) {}

  private get inst(): MQClientInstance {
    return this.host.instance;
  }

  async doRebalance(): Promise<void> {
    for (const topic of this.subscriptionInner.keys()) {
      try {
        await this.rebalanceByTopic(topic);
      } catch (e) {
        if (!topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) this.inst.log.warn(`rebalance ${this.host.groupName} ${topic}: ${(e as Error).message}`);
      }
    }
    // Queues of topics no longer subscribed.
    for (const [k, e] of [...this.processQueueTable]) {
      if (!this.subscriptionInner.has(e.mq.topic)) {
        e.pq.dropped = true;
        this.processQueueTable.delete(k);
      }
    }
  }

  private async rebalanceByTopic(topic: string): Promise<void> {
    const mqSet = this.topicSubscribeInfo.get(topic);
    if (!mqSet) {
      if (!topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) this.inst.log.debug(`doRebalance ${this.host.groupName}: no route for ${topic}`);
      return;
    }
    if (this.host.messageModel === 'BROADCASTING') {
      const changed = await this.updateProcessQueueTableInRebalance(topic, mqSet);
      if (changed) this.host.messageQueueChanged?.(topic, mqSet, mqSet);
      return;
    }
    const cidAll = await this.inst.findConsumerIdList(topic, this.host.groupName);
    if (cidAll.length === 0) {
      this.inst.log.debug(`doRebalance ${this.host.groupName} ${topic}: no consumer id`);
      return;
    }
    const mqAll = [...mqSet].sort(compareMessageQueue);
    const cids = [...cidAll].sort();
    let allocated: MessageQueue[];
    try {
      allocated = this.host.strategy.allocate(this.host.groupName, this.inst.clientId, mqAll, cids);
    } catch (e) {
      this.inst.log.error(`allocate with ${this.host.strategy.name}: ${(e as Error).message}`);
      return;
    }
    const changed = await this.updateProcessQueueTableInRebalance(topic, allocated);
    if (changed) this.host.messageQueueChanged?.(topic, mqAll, allocated);
  }

  private async updateProcessQueueTableInRebalance(topic: string, mqSet: MessageQueue[]): Promise<boolean> {
    let changed = false;
    const wanted = new Set(mqSet.map(mqKey));
    for (const [k, e] of [...this.processQueueTable]) {
      if (e.mq.topic !== topic) continue;
      if (!wanted.has(k)) {
        e.pq.dropped = true;
        if (await this.host.removeUnnecessaryMessageQueue(e.mq, e.pq)) {
          this.processQueueTable.delete(k);
          changed = true;
        }
      } else if (e.pq.dropped && !e.pq.awaitingOffsetFix) {
        // Still ours, but its pulling stopped (an earlier give-away that did not complete): start over.
        this.processQueueTable.delete(k);
        changed = true;
      } else if (e.pq.isPullExpired() && this.host.consumeType === 'CONSUME_PASSIVELY') {
        e.pq.dropped = true;
        if (await this.host.removeUnnecessaryMessageQueue(e.mq, e.pq)) {
          this.processQueueTable.delete(k);
          changed = true;
          this.inst.log.warn(`[BUG]doRebalance, ${this.host.groupName}, remove unnecessary mq, ${k}, because pull is pause, so try to fixed it`);
        }
      }
    }
    const requests: Array<QueueEntry & { nextOffset: number }> = [];
    for (const mq of mqSet) {
      const k = mqKey(mq);
      if (this.processQueueTable.has(k)) continue;
      const pq = new ProcessQueue();
      if (this.host.isOrderly() && this.host.messageModel === 'CLUSTERING' && !(await this.lock(mq, pq))) {
        // Usually the previous owner has not released it yet: look again shortly, not in 20 s.
        this.inst.log.info(`doRebalance ${this.host.groupName}: lock of ${k} failed, try later`);
        this.scheduleLockRetry();
        continue;
      }
      this.host.removeDirtyOffset(mq);
      const nextOffset = await this.host.computePullFromWhere(mq);
      if (nextOffset < 0) {
        this.inst.log.warn(`doRebalance ${this.host.groupName}: compute pull offset of ${k} failed`);
        continue;
      }
      if (this.processQueueTable.has(k)) continue;
      this.processQueueTable.set(k, { mq, pq });
      requests.push({ mq, pq, nextOffset });
      changed = true;
    }
    if (requests.length > 0) this.host.dispatchPullRequests(requests);
    return changed;
  }

  // ---- orderly locks -----------------------------------------------------------------------------

  private lockRetry: NodeJS.Timeout | null = null;

  private scheduleLockRetry(): void {
    if (this.lockRetry) return;
    this.lockRetry = setTimeout(() => {
      this.lockRetry = null;
      void this.inst.rebalanceImmediately();
    }, 1000);
    this.lockRetry.unref();
  }

  private masterAddr(brokerName: string): string | undefined {
    return this.inst.findBrokerAddressInSubscribe(brokerName, MixAll.MASTER_ID, true)?.addr;
  }

  /** LOCK_BATCH_MQ for one queue. */
  async lock(mq: MessageQueue, pq?: ProcessQueue): Promise<boolean> {
    const addr = this.masterAddr(mq.brokerName);
    if (!addr) return false;
    try {
      const ok = await this.inst.api.lockBatchMQ(addr, this.host.groupName, this.inst.clientId, [mq], this.inst.apiTimeoutMs);
      const locked = ok.some((m) => mqKey(m) === mqKey(mq));
      const target = pq ?? this.processQueueTable.get(mqKey(mq))?.pq;
      if (target) {
        target.locked = locked;
        if (locked) target.lastLockMs = Date.now();
      }
      return locked;
    } catch (e) {
      this.inst.log.warn(`lock ${mqKey(mq)}: ${(e as Error).message}`);
      return false;
    }
  }

  /** Renews the locks of every held queue, broker by broker. */
  async lockAll(): Promise<void> {
    const byBroker = new Map<string, QueueEntry[]>();
    for (const e of this.processQueueTable.values()) {
      const l = byBroker.get(e.mq.brokerName) ?? [];
      l.push(e);
      byBroker.set(e.mq.brokerName, l);
    }
    await Promise.all([...byBroker].map(async ([brokerName, entries]) => {
      const addr = this.masterAddr(brokerName);
      if (!addr) return;
      try {
        const ok = new Set((await this.inst.api.lockBatchMQ(addr, this.host.groupName, this.inst.clientId, entries.map((e) => e.mq), this.inst.apiTimeoutMs)).map(mqKey));
        const now = Date.now();
        for (const e of entries) {
          if (ok.has(mqKey(e.mq))) { e.pq.locked = true; e.pq.lastLockMs = now; } else e.pq.locked = false;
        }
      } catch (err) {
        this.inst.log.warn(`lockAll at ${brokerName}: ${(err as Error).message}`);
      }
    }));
  }

  async unlock(mq: MessageQueue, oneway: boolean): Promise<void> {
    const addr = this.masterAddr(mq.brokerName);
    if (!addr) return;
    await this.inst.api.unlockBatchMQ(addr, this.host.groupName, this.inst.clientId, [mq], this.inst.apiTimeoutMs, oneway)
      .catch((e) => this.inst.log.warn(`unlock ${mqKey(mq)}: ${(e as Error).message}`));
  }

  async unlockAll(oneway: boolean): Promise<void> {
    const byBroker = new Map<string, MessageQueue[]>();
    for (const e of this.processQueueTable.values()) {
      const l = byBroker.get(e.mq.brokerName) ?? [];
      l.push(e.mq);
      byBroker.set(e.mq.brokerName, l);
    }
    await Promise.all([...byBroker].map(async ([brokerName, mqs]) => {
      const addr = this.masterAddr(brokerName);
      if (!addr) return;
      await this.inst.api.unlockBatchMQ(addr, this.host.groupName, this.inst.clientId, mqs, this.inst.apiTimeoutMs, oneway)
        .catch((e) => this.inst.log.warn(`unlockAll at ${brokerName}: ${(e as Error).message}`));
      for (const mq of mqs) {
        const pq = this.processQueueTable.get(mqKey(mq))?.pq;
        if (pq) pq.locked = false;
      }
    }));
  }
}
