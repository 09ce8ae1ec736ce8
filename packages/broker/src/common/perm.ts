// PermName bits (topic and broker permissions), and the names of system topics and groups.

export {
  MASTER_ID, PERM_INHERIT, PERM_PRIORITY, PERM_READ, PERM_WRITE, isInherited, isReadable, isWriteable,
} from '@rmq/remoting';

export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const SELF_TEST_TOPIC = 'SELF_TEST_TOPIC';
export const BENCHMARK_TOPIC = 'BenchmarkTest';
export const OFFSET_MOVED_EVENT = 'OFFSET_MOVED_EVENT';
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
export const REPLY_TOPIC_POSTFIX = 'REPLY_TOPIC';
export const DLQ_NUMS_PER_GROUP = 1;

export const retryTopic = (group: string): string => RETRY_GROUP_TOPIC_PREFIX + group;
export const dlqTopic = (group: string): string => DLQ_GROUP_TOPIC_PREFIX + group;
export const isRetryTopic = (topic: string): boolean => topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);

/** Topics a producer may not send to (Apache's NOT_ALLOWED_SEND_TOPIC_SET). */
const NOT_ALLOWED_SEND = new Set([SCHEDULE_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC]);
export const isNotAllowedSendTopic = (topic: string): boolean => NOT_ALLOWED_SEND.has(topic);

const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
export const TOPIC_MAX_LENGTH = 127;

/** Apache's TopicValidator.validateTopic: null when valid, else the SYSTEM_ERROR remark. */
export function validateTopic(topic: string | undefined): string | null {
  if (!topic || topic.trim() === '') return 'The specified topic is blank.';
  if (!TOPIC_PATTERN.test(topic)) {
    return `The specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`;
  }
  if (topic.length > TOPIC_MAX_LENGTH) return 'The specified topic is longer than topic max length.';
  return null;
}

export const FAQ_URL = '\nSee http://rocketmq.apache.org/docs/faq/ for further details.';
