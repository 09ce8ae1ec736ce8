// @rmq/broker: a RocketMQ 4.x wire-compatible broker over @rmq/store.
export { BrokerController, type BrokerControllerOptions } from './controller.js';
export { defaultBrokerConfig, brokerConfigHelp, parseDelayLevels, type BrokerConfig, type BrokerRole } from './config.js';
export type { BrokerContext } from './broker-context.js';
export { TopicConfigManager, newTopicConfig, type TopicConfig } from './topic/topic-config-manager.js';
export { SubscriptionGroupManager, type SubscriptionGroupConfig } from './subscription/subscription-group-manager.js';
export { ConsumerOffsetManager } from './offset/consumer-offset-manager.js';
export { compileSql92 } from './filter/sql92.js';
export { BrokerStats } from './stats.js';
