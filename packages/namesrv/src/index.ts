// @rmq/namesrv: the RocketMQ 4.x name server (routes, broker liveness, KV config).
export { NamesrvController } from './controller.js';
export {
  convertValue, defaultNamesrvConfig, formatProperties, namesrvConfigHelp, namesrvConfigReadOnlyKeys,
  parseProperties, type NamesrvConfig,
} from './config.js';
export { KvConfigManager, NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config-manager.js';
export { namesrvProcessors, type NamesrvContext, type NamesrvHandler } from './processor.js';
export {
  MASTER_ID, PERM_INHERIT, PERM_READ, PERM_WRITE, RouteInfoManager,
  type BrokerData, type ClusterInfo, type DataVersion, type QueueData, type RegisterBrokerInput,
  type TopicConfig, type TopicRouteData,
} from './route-info-manager.js';
export { javaHashOrder, javaStringHashCode } from './java-hash-order.js';
export {
  bodyCrc32, decodeRegisterBrokerBody, encodeClusterInfo, encodeTopicList, encodeTopicRouteData,
} from './wire.js';
