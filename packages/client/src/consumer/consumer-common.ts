// What PushConsumer and LitePullConsumer share: the client instance and offset store they hold once
// started, the offset store of their message model, and the RebalanceHost/ConsumerInner answers that
// only read those (subscriptions, where a new queue starts, dropping a queue's offset).
import type { MessageQueue } from '../message.js';
import { MQClientError } from '../errors.js';
import type { ClientLogger } from '../logger.js';
import type { ClientOptions, MQClientInstance } from '../instance/mq-client-instance.js';
import { validateGroup } from '../producer/prepare.js';
import { resolveAllocateStrategy, type AllocateStrategy, type AllocateStrategyName } from './allocate-strategies.js';
import type { OffsetStore } from './offset-store.js';
import { LocalFileOffsetStore, RemoteBrokerOffsetStore } from './offset-store.js';
import type { RebalanceImpl } from './rebalance.js';
import type { SubscriptionData } from './subscription.js';
import { computePullFromWhere, type ConsumeFromWhere } from './pull-step.js';

/** The options PushConsumerOptions and LitePullConsumerOptions share. */
export interface ConsumerCommonOptions extends ClientOptions {
  groupName: string;
  messageModel?: 'CLUSTERING' | 'BROADCASTING';
  /** Where a queue starts when the group has no committed offset. Default LAST. */
  consumeFromWhere?: ConsumeFromWhere | 'LAST' | 'FIRST' | 'TIMESTAMP';
  /** CONSUME_FROM_TIMESTAMP: "yyyyMMddHHmmss", a Date, or epoch ms. Default: 30 minutes ago. */
  consumeTimestamp?: string | number | Date;
  allocateStrategy?: AllocateStrategy | AllocateStrategyName;
  pullBatchSize?: number;
  /** Flow control: cached messages per queue before its pulls pause. Default 1000. */
  pullThresholdForQueue?: number;
  brokerSuspendMaxTimeMs?: number;
  consumerTimeoutMsWhenSuspend?: number;
  /** Broadcasting offsets directory (default ~/.rocketmq_offsets). */
  offsetStoreDir?: string;
}

export abstract class ConsumerBase {
  readonly groupName: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  readonly strategy: AllocateStrategy;
  abstract readonly consumeFromWhere: ConsumeFromWhere;
  abstract readonly rebalance: RebalanceImpl;
  protected readonly options: ConsumerCommonOptions;
  protected _instance: MQClientInstance | null = null;
  protected _offsetStore: OffsetStore | null = null;

  constructor(options: ConsumerCommonOptions) {
    validateGroup(options.groupName);
    this.options = options;
    this.groupName = options.groupName;
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.strategy = resolveAllocateStrategy(options.allocateStrategy);
  }

  get instance(): MQClientInstance {
    if (!this._instance) throw new MQClientError('the consumer is not started');
    return this._instance;
  }

  get offsetStore(): OffsetStore {
    if (!this._offsetStore) throw new MQClientError('the consumer is not started');
    return this._offsetStore;
  }

  get log(): ClientLogger {
    return this.instance.log;
  }

  /** The offset store of the message model (a local file when broadcasting, the broker otherwise), loaded. */
  protected async openOffsetStore(inst: MQClientInstance): Promise<void> {
    this._offsetStore = this.messageModel === 'BROADCASTING'
      ? new LocalFileOffsetStore(inst.clientId, this.groupName, this.options.offsetStoreDir, inst.log)
      : new RemoteBrokerOffsetStore(inst, this.groupName);
    await this._offsetStore.load();
  }

  subscriptions(): SubscriptionData[] {
    return [...this.rebalance.subscriptionInner.values()];
  }

  updateTopicSubscribeInfo(topic: string, mqs: MessageQueue[]): void {
    if (this.rebalance.subscriptionInner.has(topic)) this.rebalance.topicSubscribeInfo.set(topic, mqs);
  }

  consumerStatus(topic: string): Array<{ mq: MessageQueue; offset: number }> {
    return this._offsetStore?.entries(topic) ?? [];
  }

  removeDirtyOffset(mq: MessageQueue): void {
    this.offsetStore.removeOffset(mq);
  }

  computePullFromWhere(mq: MessageQueue): Promise<number> {
    return computePullFromWhere({
      instance: this.instance, offsetStore: this.offsetStore, log: this.log, consumeFromWhere: this.consumeFromWhere,
      consumeTimestamp: this.options.consumeTimestamp,
    }, mq);
  }
}
