// @rmq/client: a RocketMQ 4.x remoting client (producer, push consumer, lite pull consumer)
// usable against this project's broker and Apache RocketMQ alike. See README.md.
export { Producer, createReplyMessage } from './producer/producer.js';
export type {
  ProducerOptions, SendOptions, SendResult, TransactionListener, TransactionSendResult, LocalTransactionState,
} from './producer/producer.js';
export { PushConsumer, parseConsumeTimestamp } from './consumer/push-consumer.js';
export type { PushConsumerOptions, ConsumeFromWhere } from './consumer/push-consumer.js';
export { LitePullConsumer } from './consumer/lite-pull-consumer.js';
export type { LitePullConsumerOptions } from './consumer/lite-pull-consumer.js';
export { SimpleConsumer } from './consumer/simple-consumer.js';
export type { SimpleConsumerOptions, ReceivedMessage } from './consumer/simple-consumer.js';
export { MQClientInstance } from './instance/mq-client-instance.js';
export type { ClientOptions, ConsumeDirectlyResult } from './instance/mq-client-instance.js';
export { MQClientAPI } from './instance/mq-client-api.js';
export type { PullResult, PullStatus, SendStatus } from './instance/mq-client-api.js';
export type { TopicRouteData, QueueData, BrokerData } from './instance/route.js';
export {
  allocateAveragely, allocateAveragelyByCircle, allocateConsistentHash, allocateByConfig,
} from './consumer/allocate-strategies.js';
export type { AllocateStrategy, AllocateStrategyName } from './consumer/allocate-strategies.js';
export type { MessageHandler, ConsumeResult } from './consumer/consume-types.js';
export type { SubscriptionExpression } from './consumer/subscription.js';
export { selectByHash, selectByShardingKey, selectRandom } from './producer/selectors.js';
export type { MessageQueueSelector } from './producer/selectors.js';
export {
  decodeMessages, decodeMessage, decodeOffsetMsgId, createOffsetMsgId, javaHashCode, UniqueIdGenerator,
} from './message.js';
export type { Message, MessageExt, MessageQueue } from './message.js';
export { MQClientError, MQBrokerError, MQTimeoutError, MQAbortError, MQConnectError, TopicRouteError } from './errors.js';
export { ResponseCode, RequestCode, MessageConst } from './protocol.js';
export { Admin, AdminRequestCode, isRetryTopic, isDlqTopic } from './admin/admin.js';
export type { AdminOptions, AdminRpcHook, TopicTarget, QueryByTimeOptions } from './admin/admin.js';
export type * from './admin/types.js';
