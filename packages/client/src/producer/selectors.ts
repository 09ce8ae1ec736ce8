// Queue selectors for ordered sends: the caller's function, a hash of an argument, or a sharding
// key. Messages with the same key land on the same queue while the topic's queue list is stable.
import { createHash } from 'node:crypto';
import type { Message, MessageQueue } from '../message.js';
import { javaHashCode } from '../message.js';

export type MessageQueueSelector = (queues: readonly MessageQueue[], msg: Message, arg: unknown) => MessageQueue;

/** Like the Java SelectMessageQueueByHash: |hashCode(String(arg))| % n. */
export function selectByHash(queues: readonly MessageQueue[], _msg: Message, arg: unknown): MessageQueue {
  let h = javaHashCode(String(arg));
  if (h < 0) h = Math.abs(h);
  return queues[h % queues.length]!;
}

export function selectRandom(queues: readonly MessageQueue[]): MessageQueue {
  return queues[Math.floor(Math.random() * queues.length)]!;
}

/** Stable mapping of a sharding key onto the queue list (md5 of the key, first 4 bytes). */
export function selectByShardingKey(queues: readonly MessageQueue[], _msg: Message, key: unknown): MessageQueue {
  const d = createHash('md5').update(String(key)).digest();
  return queues[d.readUInt32BE(0) % queues.length]!;
}
