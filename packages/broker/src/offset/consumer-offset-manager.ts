// Committed consumer offsets: `topic@group` -> queueId -> offset. Updated by
// UPDATE_CONSUMER_OFFSET and by pulls carrying a commit offset; persisted to
// <root>/config/consumerOffset.json every flushConsumerOffsetIntervalMs and on shutdown.

import { join } from 'node:path';
import { Persister, readConfigFile } from '../common/json-file.js';
import type { Logger } from '@rmq/remoting';

const TOPIC_GROUP_SEPARATOR = '@';

/** Minimal parser for fastjson's `{0:12,1:3}` integer-keyed maps (quotes the keys, then JSON). */
export function parseIntKeyedJson(text: string): unknown {
  return JSON.parse(text.replace(/([{,]\s*)(-?\d+)(\s*:)/g, '$1"$2"$3'));
}

export class ConsumerOffsetManager {
  /** key `topic@group` -> (queueId -> offset). */
  readonly table = new Map<string, Map<number, number>>();
  private readonly persister: Persister;
  private dirty = false;

  constructor(storePathRootDir: string, logger?: Logger) {
    this.persister = new Persister(join(storePathRootDir, 'config', 'consumerOffset.json'), () => this.encode(true), logger);
  }

  load(path: string): void {
    const text = readConfigFile(path);
    if (!text) return;
    const obj = parseIntKeyedJson(text) as { offsetTable?: Record<string, Record<string, number>> };
    for (const [key, queues] of Object.entries(obj.offsetTable ?? {})) {
      const m = new Map<number, number>();
      for (const [q, off] of Object.entries(queues)) m.set(Number(q), Number(off));
      this.table.set(key, m);
    }
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    const key = topic + TOPIC_GROUP_SEPARATOR + group;
    let m = this.table.get(key);
    if (!m) {
      m = new Map();
      this.table.set(key, m);
    }
    m.set(queueId, offset);
    this.dirty = true;
  }

  /** The committed offset, or -1. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.table.get(topic + TOPIC_GROUP_SEPARATOR + group)?.get(queueId) ?? -1;
  }

  /** queueId -> offset of one group on one topic. */
  queryOffsets(group: string, topic: string): Map<number, number> {
    return this.table.get(topic + TOPIC_GROUP_SEPARATOR + group) ?? new Map();
  }

  /** Groups with committed offsets on `topic`. */
  whichGroupByTopic(topic: string): Set<string> {
    const out = new Set<string>();
    for (const key of this.table.keys()) {
      const i = key.indexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(0, i) === topic) out.add(key.slice(i + 1));
    }
    return out;
  }

  /** Topics `group` has committed offsets on. */
  whichTopicByConsumer(group: string): Set<string> {
    const out = new Set<string>();
    for (const key of this.table.keys()) {
      const i = key.lastIndexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(i + 1) === group) out.add(key.slice(0, i));
    }
    return out;
  }

  removeGroup(group: string): void {
    for (const key of [...this.table.keys()]) {
      if (key.slice(key.lastIndexOf(TOPIC_GROUP_SEPARATOR) + 1) === group) this.table.delete(key);
    }
    this.dirty = true;
  }

  removeTopic(topic: string): void {
    for (const key of [...this.table.keys()]) {
      if (key.slice(0, key.indexOf(TOPIC_GROUP_SEPARATOR)) === topic) this.table.delete(key);
    }
    this.dirty = true;
  }

  /** Persists if anything changed since the last write. */
  persistIfDirty(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    return this.persister.request().catch(() => undefined);
  }

  /** Resolves when no background write is in flight. */
  idle(): Promise<void> {
    return this.persister.idle();
  }

  flushSync(): void {
    this.dirty = false;
    this.persister.flushSync();
  }

  /** Apache's fastjson form: `{"offsetTable":{"t@g":{0:12,1:3}}}` (integer keys unquoted). */
  encode(pretty = false): string {
    const nl = pretty ? '\n' : '';
    const parts: string[] = [];
    for (const [key, m] of this.table) {
      const qs: string[] = [];
      for (const [q, off] of m) qs.push(`${q}:${off}`);
      parts.push(`${JSON.stringify(key)}:{${qs.join(',')}}`);
    }
    return `{${nl}"offsetTable":{${parts.join(',' + nl)}}${nl}}`;
  }
}
