// How a consumer group shares a topic's queues: each client runs the same strategy over the same
// sorted inputs (all queues, all client ids) and keeps its own share. The algorithms follow the
// Java client's AllocateMessageQueue* so mixed Java/Node groups agree on the split.
import { createHash } from 'node:crypto';
import type { MessageQueue } from '../message.js';
import { compareMessageQueue } from '../message.js';

export interface AllocateStrategy {
  readonly name: string;
  allocate(consumerGroup: string, currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): MessageQueue[];
}

function checkInputs(currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): boolean {
  if (!currentCID) throw new Error('currentCID is empty');
  if (mqAll.length === 0 || cidAll.length === 0) return false;
  return cidAll.includes(currentCID);
}

/** Contiguous blocks: the first (queues % clients) clients get one extra queue. */
export const allocateAveragely: AllocateStrategy = {
  name: 'AVG',
  allocate(_group, currentCID, mqAll, cidAll) {
    if (!checkInputs(currentCID, mqAll, cidAll)) return [];
    const index = cidAll.indexOf(currentCID);
    const n = mqAll.length;
    const c = cidAll.length;
    const mod = n % c;
    const averageSize = n <= c ? 1 : mod > 0 && index < mod ? Math.floor(n / c) + 1 : Math.floor(n / c);
    const startIndex = mod > 0 && index < mod ? index * averageSize : index * averageSize + mod;
    const range = Math.min(averageSize, n - startIndex);
    const out: MessageQueue[] = [];
    for (let i = 0; i < range; i++) out.push(mqAll[(startIndex + i) % n]!);
    return out;
  },
};

/** Dealt like cards: queue i goes to client i % clients. */
export const allocateAveragelyByCircle: AllocateStrategy = {
  name: 'AVG_BY_CIRCLE',
  allocate(_group, currentCID, mqAll, cidAll) {
    if (!checkInputs(currentCID, mqAll, cidAll)) return [];
    const index = cidAll.indexOf(currentCID);
    return mqAll.filter((_, i) => i % cidAll.length === index);
  },
};

/** MD5 of the key, first four bytes as an unsigned number (the Java router's default hash). */
export function md5Hash32(key: string): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0);
}

/** The Java MessageQueue.toString(), which the consistent-hash router hashes. */
export function messageQueueText(mq: MessageQueue): string {
  return `MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}]`;
}

/** Consistent hashing over virtual nodes ("cid-i"); queues move little when clients come and go. */
export function allocateConsistentHash(virtualNodeCnt = 10): AllocateStrategy {
  if (virtualNodeCnt < 0) throw new Error(`illegal virtualNodeCnt: ${virtualNodeCnt}`);
  return {
    name: 'CONSISTENT_HASH',
    allocate(_group, currentCID, mqAll, cidAll) {
      if (!checkInputs(currentCID, mqAll, cidAll)) return [];
      const ring: Array<[number, string]> = [];
      for (const cid of cidAll) {
        for (let i = 0; i < virtualNodeCnt; i++) ring.push([md5Hash32(`${cid}-${i}`), cid]);
      }
      // Later nodes with an equal hash replace earlier ones, as a TreeMap put would.
      ring.sort((a, b) => a[0] - b[0]);
      const dedup: Array<[number, string]> = [];
      for (const e of ring) {
        if (dedup.length > 0 && dedup[dedup.length - 1]![0] === e[0]) dedup[dedup.length - 1] = e;
        else dedup.push(e);
      }
      if (dedup.length === 0) return [];
      const out: MessageQueue[] = [];
      for (const mq of mqAll) {
        const h = md5Hash32(messageQueueText(mq));
        let lo = 0;
        let hi = dedup.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (dedup[mid]![0] < h) lo = mid + 1;
          else hi = mid;
        }
        const node = dedup[lo < dedup.length ? lo : 0]!;
        if (node[1] === currentCID) out.push(mq);
      }
      return out;
    },
  };
}

/** A fixed list of queues chosen by configuration, whatever the group looks like. */
export function allocateByConfig(queues: readonly MessageQueue[]): AllocateStrategy {
  const list = [...queues].sort(compareMessageQueue);
  return { name: 'CONFIG', allocate: () => [...list] };
}

export type AllocateStrategyName = 'AVG' | 'AVG_BY_CIRCLE' | 'CONSISTENT_HASH';

export function resolveAllocateStrategy(s: AllocateStrategy | AllocateStrategyName | undefined): AllocateStrategy {
  if (s === undefined || s === 'AVG') return allocateAveragely;
  if (s === 'AVG_BY_CIRCLE') return allocateAveragelyByCircle;
  if (s === 'CONSISTENT_HASH') return allocateConsistentHash();
  return s;
}
