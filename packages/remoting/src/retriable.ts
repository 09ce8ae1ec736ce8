// Which response codes a client may answer by trying again. One table for every client path, as
// Apache's DefaultMQProducerImpl (retryResponseCodes) and DefaultMQPushConsumerImpl read them.
import { ResponseCode } from './codes.js';

/** Send answers after which the Java producer tries again, possibly on another broker. */
export const SEND_RETRY_RESPONSE_CODES: ReadonlySet<number> = new Set<number>([
  ResponseCode.TOPIC_NOT_EXIST, ResponseCode.SERVICE_NOT_AVAILABLE, ResponseCode.SYSTEM_ERROR,
  ResponseCode.NO_PERMISSION, ResponseCode.NO_BUYER_ID, ResponseCode.NOT_IN_CURRENT_UNIT,
]);

/**
 * Pull answers meaning the broker's copy of the consumer's subscription is missing or stale: the
 * pull is retried after the next heartbeat carried the subscription again.
 */
export const PULL_SUBSCRIPTION_RETRY_CODES: ReadonlySet<number> = new Set<number>([
  ResponseCode.SUBSCRIPTION_NOT_EXIST, ResponseCode.SUBSCRIPTION_NOT_LATEST, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
]);

/** True when a send answered with `code` may be retried (on another broker). */
export function isSendRetriable(code: number): boolean {
  return SEND_RETRY_RESPONSE_CODES.has(code);
}
