// What request processors see of the broker. BrokerController implements it; processor files
// export `register(server, ctx)` and keep no state of their own beyond caches.

import type { Logger } from '@rmq/remoting';
import type { MessageStore, StoreConfig } from '@rmq/store';
import type { BrokerConfig } from './config.js';
import type { TopicConfigManager } from './topic/topic-config-manager.js';
import type { SubscriptionGroupManager } from './subscription/subscription-group-manager.js';
import type { ConsumerOffsetManager } from './offset/consumer-offset-manager.js';
import type { ConsumerManager } from './client/consumer-manager.js';
import type { ProducerManager } from './client/producer-manager.js';
import type { RebalanceLockManager } from './client/rebalance-lock-manager.js';
import type { PullRequestHoldService } from './longpolling/pull-request-hold-service.js';
import type { ScheduleMessageService } from './schedule/schedule-message-service.js';
import type { BrokerOuterAPI } from './namesrv-api/broker-outer-api.js';
import type { BrokerStats } from './stats.js';
import type { RuntimeSampler } from './runtime/runtime-sampler.js';
import type { BrokerConfigState } from './runtime/broker-config-state.js';
import type { HAController } from './ha/index.js';
import type { TransactionalMessageService } from './transaction/transactional-message-service.js';
import type { TimerMessageService } from './timer/timer-message-service.js';
import type { PopService } from './pop/pop-service.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly storeConfig: StoreConfig;
  readonly store: MessageStore;
  readonly logger: Logger;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly consumerOffsetManager: ConsumerOffsetManager;
  readonly consumerManager: ConsumerManager;
  readonly producerManager: ProducerManager;
  readonly rebalanceLockManager: RebalanceLockManager;
  readonly pullRequestHoldService: PullRequestHoldService;
  readonly scheduleMessageService: ScheduleMessageService;
  readonly brokerOuterAPI: BrokerOuterAPI;
  readonly transactionalMessageService: TransactionalMessageService;
  /** Timer messages (timer/) and POP consumption (pop/); absent in contexts built without them. */
  readonly timerMessageService?: TimerMessageService;
  readonly popService?: PopService;
  readonly stats: BrokerStats;
  /** Put/get totals sampled once a second (runtime info 28, stats 315); started with the broker. */
  readonly runtimeSampler: RuntimeSampler;
  /** UPDATE_BROKER_CONFIG's extra keys and config DataVersion (25, 26). */
  readonly configState: BrokerConfigState;
  /** "brokerIP1:listenPort", the address in routes and message ids. */
  readonly brokerAddr: string;
  /** Store host of message ids (brokerIP1 + listen port). */
  readonly storeHost: { ip: string; port: number };
  /** Milliseconds since start (runtime info). */
  readonly bootTimestamp: number;
  /** master/slave replication; null in tests that build a context by hand */
  readonly ha?: HAController | null;
  /** REGISTER_BROKER to every name server now (oneway after topic creation). */
  registerBrokerAll(oneway: boolean): Promise<void>;
}
