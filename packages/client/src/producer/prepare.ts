// Turns a user Message into what goes on the wire: validated topic, body bytes (compressed when
// large), and the properties map (TAGS, KEYS, DELAY, WAIT, UNIQ_KEY and user keys).
import { deflateSync } from 'node:zlib';
import type { Message } from '../message.js';
import { bodyBuffer, uniqueIds } from '../message.js';
import { MessageConst, MessageSysFlag, RESERVED_PROPERTY_NAMES } from '../protocol.js';
import { MQClientError } from '../errors.js';

export interface PreparedMessage {
  topic: string;
  body: Buffer;
  flag: number;
  sysFlag: number;
  /** Insertion-ordered; the UNIQ_KEY is set unless `uniqKey: false` was asked for. */
  properties: Map<string, string>;
  /** The UNIQ_KEY set ('' without one). */
  uniqMsgId: string;
  /** Always false here (the shape of the producer's send request, so a send needs no second object). */
  batch: false;
}

const TOPIC_RE = /^[%|a-zA-Z0-9_-]+$/;
export const TOPIC_MAX_CHARS = 127;

export function validateTopic(topic: string): void {
  if (!topic) throw new MQClientError('The specified topic is blank');
  if (topic.length > TOPIC_MAX_CHARS) throw new MQClientError(`The specified topic is longer than topic max length ${TOPIC_MAX_CHARS}`);
  if (!TOPIC_RE.test(topic)) throw new MQClientError(`The specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
}

export function validateGroup(group: string): void {
  if (!group) throw new MQClientError('the specified group is blank');
  if (group.length > 255) throw new MQClientError('the specified group is longer than group max length 255');
  if (!TOPIC_RE.test(group)) throw new MQClientError(`the specified group[${group}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
}

export interface PrepareOptions {
  maxMessageSize: number;
  /** Bodies of at least this many bytes are zlib-compressed; Infinity disables. */
  compressOverBytes: number;
  compressLevel: number;
  uniqKey: boolean;
}

export function userMessageProperties(msg: Message): Map<string, string> {
  const props = new Map<string, string>();
  if (msg.keys !== undefined) {
    const keys = Array.isArray(msg.keys) ? msg.keys.join(' ') : msg.keys;
    if (keys) props.set(MessageConst.KEYS, keys);
  }
  props.set(MessageConst.WAIT_STORE_MSG_OK, msg.waitStoreMsgOK === false ? 'false' : 'true');
  if (msg.tags) props.set(MessageConst.TAGS, msg.tags);
  if (msg.delayTimeLevel !== undefined && msg.delayTimeLevel > 0) props.set(MessageConst.DELAY_TIME_LEVEL, String(msg.delayTimeLevel));
  for (const [k, v] of Object.entries(msg.properties ?? {})) {
    if (RESERVED_PROPERTY_NAMES.has(k) && !props.has(k)) {
      // Reserved names are accepted only when they are spelled through their own field.
      throw new MQClientError(`The Property<${k}> is used by the system, input another please`);
    }
    if (!props.has(k)) props.set(k, String(v));
  }
  return props;
}

let lastValidTopic = '';

export function prepareMessage(msg: Message, opts: PrepareOptions): PreparedMessage {
  const topic = msg.topic;
  if (topic !== lastValidTopic || !topic) { validateTopic(topic); lastValidTopic = topic; }
  const raw = bodyBuffer(msg.body);
  if (raw.length === 0) throw new MQClientError('the message body length is zero');
  if (raw.length > opts.maxMessageSize) throw new MQClientError(`the message body size over max value, MAX: ${opts.maxMessageSize}`);
  // One map, in the order the two-step build (user properties, then KEYS + UNIQ_KEY first) gives:
  // KEYS, UNIQ_KEY, WAIT, TAGS, DELAY, user keys.
  const properties = new Map<string, string>();
  if (msg.keys !== undefined) {
    const keys = Array.isArray(msg.keys) ? msg.keys.join(' ') : msg.keys;
    if (keys) properties.set(MessageConst.KEYS, keys);
  }
  const uniqMsgId = opts.uniqKey ? uniqueIds.next() : '';
  if (opts.uniqKey) properties.set(MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniqMsgId);
  properties.set(MessageConst.WAIT_STORE_MSG_OK, msg.waitStoreMsgOK === false ? 'false' : 'true');
  if (msg.tags) properties.set(MessageConst.TAGS, msg.tags);
  if (msg.delayTimeLevel !== undefined && msg.delayTimeLevel > 0) properties.set(MessageConst.DELAY_TIME_LEVEL, String(msg.delayTimeLevel));
  const user = msg.properties;
  if (user !== undefined && user !== null) {
    for (const k of Object.keys(user)) {
      if (RESERVED_PROPERTY_NAMES.has(k) && (k === MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX || !properties.has(k))) {
        // Reserved names are accepted only when they are spelled through their own field.
        throw new MQClientError(`The Property<${k}> is used by the system, input another please`);
      }
      if (!properties.has(k)) properties.set(k, String(user[k]));
    }
  }
  let body = raw;
  let sysFlag = 0;
  if (raw.length >= opts.compressOverBytes) {
    body = deflateSync(raw, { level: opts.compressLevel });
    sysFlag |= MessageSysFlag.COMPRESSED | MessageSysFlag.COMPRESSION_ZLIB;
  }
  return { topic, body, flag: msg.flag ?? 0, sysFlag, properties, uniqMsgId, batch: false };
}
