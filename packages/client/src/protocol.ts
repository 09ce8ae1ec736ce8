// Wire constants the client speaks: the version it announces and the well-known message property
// names under the client's public spelling; the codes themselves come from @rmq/remoting.
import { MQ_VERSION_4_9_8 } from '@rmq/remoting';

// Request and response codes have one source, @rmq/remoting's codes.ts.
export { RequestCode, ResponseCode } from '@rmq/remoting';

/** MQVersion ordinal announced in every request header (V4_9_8), as the Apache 4.9.8 client does. */
export const CLIENT_VERSION = MQ_VERSION_4_9_8;

export const MessageConst = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT_STORE_MSG_OK: 'WAIT',
  DELAY_TIME_LEVEL: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QUEUE_ID: 'REAL_QID',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  PRODUCER_GROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  UNIQ_CLIENT_MESSAGE_ID_KEYIDX: 'UNIQ_KEY',
  CLUSTER: 'CLUSTER',
  SHARDING_KEY: '__SHARDING_KEY',
  CORRELATION_ID: 'CORRELATION_ID',
  MESSAGE_REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  MESSAGE_TTL: 'TTL',
  MESSAGE_TYPE: 'MSG_TYPE',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  TRANSACTION_ID: '__transactionId__',
} as const;

/** Property names the client manages itself; a user property with one of these names is refused. */
export const RESERVED_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'TAGS', 'KEYS', 'DELAY', 'WAIT', 'RETRY_TOPIC', 'REAL_TOPIC', 'REAL_QID', 'TRAN_MSG', 'PGROUP',
  'MIN_OFFSET', 'MAX_OFFSET', 'ORIGIN_MESSAGE_ID', 'RECONSUME_TIME', 'MAX_RECONSUME_TIMES',
  'UNIQ_KEY', 'CONSUME_START_TIME',
]);

export const MixAll = {
  DEFAULT_TOPIC: 'TBW102',
  DEFAULT_TOPIC_QUEUE_NUMS: 4,
  CLIENT_INNER_PRODUCER_GROUP: 'CLIENT_INNER_PRODUCER',
  RETRY_GROUP_TOPIC_PREFIX: '%RETRY%',
  DLQ_GROUP_TOPIC_PREFIX: '%DLQ%',
  REPLY_TOPIC_POSTFIX: 'REPLY_TOPIC',
  REPLY_MESSAGE_FLAG: 'reply',
  MASTER_ID: 0,
} as const;

export function retryTopic(group: string): string {
  return MixAll.RETRY_GROUP_TOPIC_PREFIX + group;
}

export const MessageSysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_PREPARED: 0x4,
  TRANSACTION_COMMIT: 0x8,
  TRANSACTION_ROLLBACK: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
  /** Compression type in bits 8..10; ZLIB = 3, as the 4.9.8 Java client writes (f = 769). */
  COMPRESSION_ZLIB: 3 << 8,
} as const;

export const PullSysFlag = {
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL: 0x10,
} as const;
