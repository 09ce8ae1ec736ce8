// What request processors see of the broker: the parts of BrokerController they may read, named
// here once (the types and their docs live on the controller's fields). Tests build contexts by hand
// with an in-memory store; timers, POP and HA may be absent there.
import type { BrokerController } from './controller.js';

type Required_ =
  | 'config' | 'storeConfig' | 'store' | 'logger'
  | 'topicConfigManager' | 'subscriptionGroupManager' | 'consumerOffsetManager'
  | 'consumerManager' | 'producerManager' | 'rebalanceLockManager' | 'pullRequestHoldService'
  | 'scheduleMessageService' | 'brokerOuterAPI' | 'transactionalMessageService'
  | 'stats' | 'runtimeSampler' | 'configState' | 'brokerAddr' | 'storeHost' | 'bootTimestamp'
  | 'registerBrokerAll';
type Optional_ = 'timerMessageService' | 'popService' | 'ha';

export type BrokerContext = Readonly<Pick<BrokerController, Required_>> & Readonly<Partial<Pick<BrokerController, Optional_>>>;
