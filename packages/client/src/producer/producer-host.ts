// What the producer's transaction and request-reply parts (transaction.ts, request-reply.ts) use of
// the Producer: a narrow view, so those files need none of its private state.
import type { Message, MessageQueue } from '../message.js';
import type { MQClientInstance } from '../instance/mq-client-instance.js';
import type { SendResult } from '../instance/mq-client-api.js';
import type { TopicPublishInfo } from '../instance/route.js';
import type { PreparedMessage } from './prepare.js';
import type { SendOptions, SendRequest } from './producer.js';
import type { TransactionListener } from './transaction.js';

export interface ProducerHost {
  readonly groupName: string;
  transactionListener(): TransactionListener | undefined;
  /** Validates and encodes a message (properties, UNIQ_KEY, compression). */
  prepare(msg: Message): PreparedMessage;
  /** Sends a prepared message with the producer's retries. */
  sendPrepared(p: SendRequest, opts: SendOptions | undefined): Promise<SendResult>;
  send(msg: Message, opts?: SendOptions): Promise<SendResult>;
  brokerAddr(mq: MessageQueue): string | Promise<string>;
  instance(): MQClientInstance;
  findTopicPublishInfo(topic: string): Promise<TopicPublishInfo>;
  warn(text: string): void;
}
