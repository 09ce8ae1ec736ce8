// What consumption services need from their consumer, and the handler result vocabulary.
import type { MessageExt, MessageQueue } from '../message.js';
import type { ClientLogger } from '../logger.js';
import type { OffsetStore } from './offset-store.js';
import type { RebalanceImpl } from './rebalance.js';

/**
 * A handler resolves (or returns undefined / 'CONSUME_SUCCESS' / 'SUCCESS') when the message is
 * consumed. 'RECONSUME_LATER' (concurrent) or 'SUSPEND_CURRENT_QUEUE_A_MOMENT' (orderly), or a
 * throw, asks for another delivery later.
 */
export type ConsumeResult = void | undefined | 'CONSUME_SUCCESS' | 'SUCCESS' | 'RECONSUME_LATER' | 'SUSPEND_CURRENT_QUEUE_A_MOMENT';
export type MessageHandler = (msg: MessageExt) => ConsumeResult | Promise<ConsumeResult>;

export function isSuccess(r: ConsumeResult): boolean {
  return r === undefined || r === 'CONSUME_SUCCESS' || r === 'SUCCESS';
}

export interface ConsumeHost {
  readonly groupName: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  readonly log: ClientLogger;
  readonly offsetStore: OffsetStore;
  readonly rebalance: RebalanceImpl;
  readonly maxReconsumeTimes: number;
  readonly suspendCurrentQueueTimeMs: number;
  readonly consumeConcurrency: number;
  isRunning(): boolean;
  handler(): MessageHandler;
  /** CONSUMER_SEND_MSG_BACK, falling back to a resend to %RETRY%group; false when both fail. */
  sendMessageBack(msg: MessageExt, delayLevel: number, brokerName: string): Promise<boolean>;
}

export interface ConsumeService {
  submit(msgs: MessageExt[], pq: import('./process-queue.js').ProcessQueue, mq: MessageQueue): void;
  /** Resolves when no handler call is in flight (or after timeoutMs). */
  drain(timeoutMs: number): Promise<void>;
  shutdown(): void;
}

/** A pause that does not by itself keep the process alive (open connections do). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** A message pulled from %RETRY%group is shown with its original topic. */
export function resetRetryTopic(msg: MessageExt, group: string): void {
  const real = msg.properties['RETRY_TOPIC'];
  if (real && msg.topic === `%RETRY%${group}`) msg.topic = real;
}

export async function callHandler(h: MessageHandler, msg: MessageExt, log: ClientLogger): Promise<{ ok: boolean; result: ConsumeResult; error?: unknown }> {
  try {
    const result = await h(msg);
    return { ok: isSuccess(result), result };
  } catch (error) {
    log.warn(`consume message ${msg.msgId} threw: ${(error as Error)?.message ?? error}`);
    return { ok: false, result: 'RECONSUME_LATER', error };
  }
}
