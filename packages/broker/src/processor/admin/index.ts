// The admin family (mqadmin and the dashboard tools): topic and subscription-group administration,
// broker config, runtime info, offsets, consume stats, connections, reset offset, consume queue
// inspection. Replies follow RocketMQ 4.9.8's AdminBrokerProcessor: same codes, remarks and
// fastjson bodies (alphabetical keys, MessageQueue objects as map keys), since mqadmin parses them.
//
// One file per family of admin requests in this folder; this table maps every code to its handler:
//   17 UPDATE_AND_CREATE_TOPIC        21 GET_ALL_TOPIC_CONFIG          25 UPDATE_BROKER_CONFIG
//   26 GET_BROKER_CONFIG              28 GET_BROKER_RUNTIME_INFO       43 GET_ALL_CONSUMER_OFFSET
//   45 GET_ALL_DELAY_OFFSET          200 UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
//  201 GET_ALL_SUBSCRIPTIONGROUP_CONFIG 202 GET_TOPIC_STATS_INFO      203 GET_CONSUMER_CONNECTION_LIST
//  204 GET_PRODUCER_CONNECTION_LIST  207 DELETE_SUBSCRIPTIONGROUP    208 GET_CONSUME_STATS
//  215 DELETE_TOPIC_IN_BROKER        222 INVOKE_BROKER_TO_RESET_OFFSET 223 INVOKE_BROKER_TO_GET_CONSUMER_STATUS
//  300 QUERY_TOPIC_CONSUME_BY_WHO
//  303 QUERY_CONSUME_TIME_SPAN       305 GET_SYSTEM_TOPIC_LIST_FROM_BROKER
//  306 CLEAN_EXPIRED_CONSUMEQUEUE    307 GET_CONSUMER_RUNNING_INFO    309 CONSUME_MESSAGE_DIRECTLY
//  314 CLONE_GROUP_OFFSET            315 VIEW_BROKER_STATS_DATA       317 GET_BROKER_CONSUME_STATS
//  321 QUERY_CONSUME_QUEUE
import { RequestCode, type Processor } from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import type { RequestFamily } from '../request-family.js';
import type { Handler } from './common.js';
import { deleteTopicInBroker, getTopicStatsInfo, updateAndCreateTopic } from './topics.js';
import {
  getAllConsumerOffset, getAllDelayOffset, getAllSubscriptionGroup, getAllTopicConfig,
} from './tables.js';
import { getBrokerConfig, updateBrokerConfig } from './config.js';
import { getBrokerRuntimeInfo, viewBrokerStatsData } from './runtime.js';
import { deleteSubscriptionGroup, updateAndCreateSubscriptionGroup } from './groups.js';
import {
  consumeMessageDirectly, getConsumerConnectionList, getConsumerRunningInfo,
  getProducerConnectionList, invokeBrokerToGetConsumerStatus, queryTopicConsumeByWho,
} from './consumers.js';
import {
  cloneGroupOffset, getBrokerConsumeStats, getConsumeStats, getSystemTopicListFromBroker,
  invokeBrokerToResetOffset, queryConsumeTimeSpan,
} from './offsets.js';
import { cleanExpiredConsumeQueue, queryConsumeQueue } from './consume-queue.js';

export const ADMIN_HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [RequestCode.UPDATE_AND_CREATE_TOPIC, updateAndCreateTopic],
  [RequestCode.GET_ALL_TOPIC_CONFIG, getAllTopicConfig],
  [RequestCode.UPDATE_BROKER_CONFIG, updateBrokerConfig],
  [RequestCode.GET_BROKER_CONFIG, getBrokerConfig],
  [RequestCode.GET_BROKER_RUNTIME_INFO, getBrokerRuntimeInfo],
  [RequestCode.GET_ALL_CONSUMER_OFFSET, getAllConsumerOffset],
  [RequestCode.GET_ALL_DELAY_OFFSET, getAllDelayOffset],
  [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, updateAndCreateSubscriptionGroup],
  [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, getAllSubscriptionGroup],
  [RequestCode.GET_TOPIC_STATS_INFO, getTopicStatsInfo],
  [RequestCode.GET_CONSUMER_CONNECTION_LIST, getConsumerConnectionList],
  [RequestCode.GET_PRODUCER_CONNECTION_LIST, getProducerConnectionList],
  [RequestCode.DELETE_SUBSCRIPTIONGROUP, deleteSubscriptionGroup],
  [RequestCode.GET_CONSUME_STATS, getConsumeStats],
  [RequestCode.DELETE_TOPIC_IN_BROKER, deleteTopicInBroker],
  [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, invokeBrokerToResetOffset],
  [RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, invokeBrokerToGetConsumerStatus],
  [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, queryTopicConsumeByWho],
  [RequestCode.QUERY_CONSUME_TIME_SPAN, queryConsumeTimeSpan],
  [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, getSystemTopicListFromBroker],
  [RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, cleanExpiredConsumeQueue],
  [RequestCode.GET_CONSUMER_RUNNING_INFO, getConsumerRunningInfo],
  [RequestCode.CONSUME_MESSAGE_DIRECTLY, consumeMessageDirectly],
  [RequestCode.CLONE_GROUP_OFFSET, cloneGroupOffset],
  [RequestCode.VIEW_BROKER_STATS_DATA, viewBrokerStatsData],
  [RequestCode.GET_BROKER_CONSUME_STATS, getBrokerConsumeStats],
  [RequestCode.QUERY_CONSUME_QUEUE, queryConsumeQueue],
]);

export function requests(ctx: BrokerContext): RequestFamily {
  const family = new Map<number, Processor>();
  for (const [code, handler] of ADMIN_HANDLERS) family.set(code, (req, ch) => handler(ctx, req, ch));
  return family;
}
