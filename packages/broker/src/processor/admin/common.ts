// Shared pieces of the admin processors: the handler type, reply helpers, system-topic and slave checks, and
// the constants of the 4.9.8 AdminBrokerProcessor replies.
import { RemotingCommand, ResponseCode, stringifyFastJson, type Channel } from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import { validateTopic } from '../../common/perm.js';

export type Handler = (ctx: BrokerContext, req: RemotingCommand, ch: Channel) => RemotingCommand | Promise<RemotingCommand>;

/** The remark Apache leaves on replies whose handler only sets the code (17, 321). */
export const NOT_SET_REMARK = 'not set any response code';
export const BROKER_VERSION = 409;
export const BROKER_VERSION_DESC = 'V4_9_8';
/** Keys UPDATE_BROKER_CONFIG refuses, as Apache's configBlackList. */
export const CONFIG_BLACK_LIST = new Set(['brokerConfigPath', 'rocketmqHome', 'configBlackList']);
/** Topics admins may neither create nor delete (Apache's TopicValidator system topic set + prefix). */
export const SYSTEM_TOPICS = new Set(['TBW102', 'SCHEDULE_TOPIC_XXXX', 'BenchmarkTest', 'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT']);
export const CALL_CLIENT_TIMEOUT_MS = 5000;
/** Bound on consume-queue entries one QUERY_CONSUME_QUEUE may return. */
export const QUERY_CONSUME_QUEUE_COUNT_MAX = 1024;

export function ok(body?: Buffer | null, remark: string | null = null): RemotingCommand {
  return RemotingCommand.response(ResponseCode.SUCCESS, remark, null, body ?? null);
}

export function fail(code: number, remark: string): RemotingCommand {
  return RemotingCommand.response(code, remark);
}

export function json(value: unknown): Buffer {
  return Buffer.from(stringifyFastJson(value), 'utf8');
}

/** Java's Double.toString for the values we emit: integral values keep a ".0". */
export function javaDouble(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

export function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith('rmq_sys_');
}

/** Apache's validateSlave: admin writes go to the master. */
export function slaveRefusal(ctx: BrokerContext): RemotingCommand | null {
  if (ctx.config.brokerRole !== 'SLAVE') return null;
  return fail(ResponseCode.SYSTEM_ERROR, "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
}

export function topicRefusal(topic: string | undefined): RemotingCommand | null {
  const invalid = validateTopic(topic);
  if (invalid !== null) return fail(ResponseCode.SYSTEM_ERROR, invalid);
  if (isSystemTopic(topic!)) return fail(ResponseCode.SYSTEM_ERROR, `The topic[${topic}] is conflict with system topic.`);
  return null;
}

/** fastjson's MessageQueue (alphabetical fields), used as a map key. */
export function mqKey(ctx: BrokerContext, topic: string, queueId: number): Record<string, unknown> {
  return { brokerName: ctx.config.brokerName, queueId, topic };
}
