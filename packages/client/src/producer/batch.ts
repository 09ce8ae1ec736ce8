// SEND_BATCH_MESSAGE (320) body: each message as
// [totalSize int32][magic int32 = 0][bodyCRC int32 = 0][flag int32][bodyLen int32][body]
// [propertiesLen int16][properties], concatenated. All messages share one topic; none delayed.
import type { Message } from '../message.js';
import { bodyBuffer, propertiesToString, uniqueIds } from '../message.js';
import { MessageConst, MixAll } from '../protocol.js';
import { MQClientError } from '../errors.js';
import { userMessageProperties, validateTopic } from './prepare.js';

export interface BatchItem {
  body: Buffer;
  flag: number;
  properties: Map<string, string>;
}

export function encodeBatchItem(item: BatchItem): Buffer {
  const props = Buffer.from(propertiesToString(item.properties), 'utf8');
  const total = 20 + item.body.length + 2 + props.length;
  const b = Buffer.alloc(total);
  let p = b.writeInt32BE(total, 0);
  p = b.writeInt32BE(0, p); // magic: unused in batches
  p = b.writeInt32BE(0, p); // body CRC: the broker computes it
  p = b.writeInt32BE(item.flag, p);
  p = b.writeInt32BE(item.body.length, p);
  p += item.body.copy(b, p);
  p = b.writeInt16BE(props.length, p);
  props.copy(b, p);
  return b;
}

export function encodeBatch(items: BatchItem[]): Buffer {
  return Buffer.concat(items.map(encodeBatchItem));
}

export interface PreparedBatch {
  topic: string;
  body: Buffer;
  /** The batch wrapper's own properties (WAIT only), sent in header field `i`. */
  properties: Map<string, string>;
  uniqKeys: string[];
}

/** Validates a batch the way the Java client does and gives every message its UNIQ_KEY. */
export function prepareBatch(msgs: Message[], maxMessageSize: number): PreparedBatch {
  if (msgs.length === 0) throw new MQClientError('a batch needs at least one message');
  const topic = msgs[0]!.topic;
  validateTopic(topic);
  const items: BatchItem[] = [];
  const uniqKeys: string[] = [];
  let waitStoreMsgOK = true;
  for (const m of msgs) {
    if (m.topic !== topic) throw new MQClientError('The topic of the messages in one batch should be the same');
    if (m.delayTimeLevel && m.delayTimeLevel > 0) throw new MQClientError('TimeDelayLevel is not supported for batching');
    if (topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) throw new MQClientError('Retry Group is not supported for batching');
    if (m.waitStoreMsgOK === false) waitStoreMsgOK = false;
    const body = bodyBuffer(m.body);
    if (body.length === 0) throw new MQClientError('the message body length is zero');
    const user = userMessageProperties(m);
    const props = new Map<string, string>();
    if (user.has(MessageConst.KEYS)) props.set(MessageConst.KEYS, user.get(MessageConst.KEYS)!);
    const id = uniqueIds.next();
    uniqKeys.push(id);
    props.set(MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
    for (const [k, v] of user) props.set(k, v);
    items.push({ body, flag: m.flag ?? 0, properties: props });
  }
  const body = encodeBatch(items);
  if (body.length > maxMessageSize) throw new MQClientError(`the batch body size ${body.length} is over max value ${maxMessageSize}`);
  return { topic, body, properties: new Map([[MessageConst.WAIT_STORE_MSG_OK, String(waitStoreMsgOK)]]), uniqKeys };
}
