// Request-reply (RocketMQ 4.6+): request() sends with CORRELATION_ID / REPLY_TO_CLIENT / TTL and
// waits for the reply the broker pushes back; createReplyMessage builds the responder's reply.
// Moved out of producer.ts; the Producer delegates.
import { randomUUID } from 'node:crypto';
import type { Message, MessageExt } from '../message.js';
import { MessageConst, MixAll } from '../protocol.js';
import { MQAbortError, MQClientError } from '../errors.js';
import type { SendOptions } from './producer.js';
import type { ProducerHost } from './producer-host.js';

/**
 * Request-reply: sends the message with CORRELATION_ID / REPLY_TO_CLIENT / TTL and waits for
 * the reply the responder sends (the broker pushes it with PUSH_REPLY_MESSAGE_TO_CLIENT).
 */
export async function requestReply(host: ProducerHost, msg: Message, timeoutMs: number, opts?: Omit<SendOptions, 'timeoutMs'>): Promise<MessageExt> {
  const inst = host.instance();
  const correlationId = randomUUID();
  const props = { ...(msg.properties ?? {}) };
  props[MessageConst.CORRELATION_ID] = correlationId;
  props[MessageConst.MESSAGE_REPLY_TO_CLIENT] = inst.clientId;
  props[MessageConst.MESSAGE_TTL] = String(timeoutMs);
  const begin = Date.now();
  if (!inst.getTopicRoute(msg.topic)) {
    await host.findTopicPublishInfo(msg.topic);
    await inst.sendHeartbeatToAllBrokers();
  }
  const reply = inst.registerRequestFuture(correlationId, msg.topic, timeoutMs);
  reply.catch(() => {});
  const onAbort = () => inst.cancelRequestFuture(correlationId, new MQAbortError('request aborted', { cause: opts?.signal?.reason }));
  opts?.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await host.send({ ...msg, properties: props }, { ...opts, timeoutMs: Math.max(1, timeoutMs - (Date.now() - begin)) });
  } catch (e) {
    inst.cancelRequestFuture(correlationId, e as Error);
    opts?.signal?.removeEventListener('abort', onAbort);
    throw e;
  }
  try {
    return await reply;
  } finally {
    opts?.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Builds the reply to a request message: sent with `producer.send(...)` by the responder, it goes
 * to `<cluster>_REPLY_TOPIC` as SEND_REPLY_MESSAGE_V2 and the broker pushes it to the requester.
 */
export function createReplyMessage(request: MessageExt, body: Buffer | string): Message {
  const cluster = request.properties[MessageConst.CLUSTER];
  const correlationId = request.properties[MessageConst.CORRELATION_ID];
  const replyTo = request.properties[MessageConst.MESSAGE_REPLY_TO_CLIENT];
  if (!cluster || !correlationId || !replyTo) {
    throw new MQClientError('create reply message fail, requestMessage error, property[CLUSTER, CORRELATION_ID or REPLY_TO_CLIENT] is null.');
  }
  const properties: Record<string, string> = {
    [MessageConst.CORRELATION_ID]: correlationId,
    [MessageConst.MESSAGE_REPLY_TO_CLIENT]: replyTo,
    [MessageConst.MESSAGE_TTL]: request.properties[MessageConst.MESSAGE_TTL] ?? '3000',
    [MessageConst.MESSAGE_TYPE]: MixAll.REPLY_MESSAGE_FLAG,
  };
  return { topic: `${cluster}_${MixAll.REPLY_TOPIC_POSTFIX}`, body, properties };
}
