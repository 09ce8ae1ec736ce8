// Topic configs of this broker: the system topics, topics created by admins or on first send
// (from the TBW102 template), retry/DLQ topics; persisted in <root>/config/topics.json.
// Every change bumps dataVersion; creations on the send path ask for a oneway re-register.

import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';
import { DataVersion, Persister, readConfigFile } from '../common/json-file.js';
import {
  AUTO_CREATE_TOPIC_KEY_TOPIC, BENCHMARK_TOPIC, OFFSET_MOVED_EVENT, PERM_INHERIT, PERM_READ, PERM_WRITE,
  REPLY_TOPIC_POSTFIX, SCHEDULE_TOPIC, SELF_TEST_TOPIC, isInherited,
} from '../common/perm.js';
import type { Logger } from '@rmq/remoting';

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
}

export function newTopicConfig(topicName: string, over: Partial<TopicConfig> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: over.readQueueNums ?? 16,
    writeQueueNums: over.writeQueueNums ?? 16,
    perm: over.perm ?? (PERM_READ | PERM_WRITE),
    topicFilterType: over.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: over.topicSysFlag ?? 0,
    order: over.order ?? false,
  };
}

/** fastjson field order (alphabetical), as Apache writes a TopicConfig. */
export function topicConfigJson(t: TopicConfig): Record<string, unknown> {
  return {
    order: t.order, perm: t.perm, readQueueNums: t.readQueueNums, topicFilterType: t.topicFilterType,
    topicName: t.topicName, topicSysFlag: t.topicSysFlag, writeQueueNums: t.writeQueueNums,
  };
}

export class TopicConfigManager {
  readonly table = new Map<string, TopicConfig>();
  readonly dataVersion = new DataVersion();
  private readonly systemTopics = new Set<string>();
  private readonly persister: Persister;
  /** Called after a topic is created on the send/heartbeat path (oneway re-register). */
  onTopicCreated: (t: TopicConfig) => void = () => {};

  constructor(private readonly config: BrokerConfig, storePathRootDir: string, logger?: Logger) {
    this.persister = new Persister(join(storePathRootDir, 'config', 'topics.json'), () => this.encode(true), logger);
    this.initSystemTopics();
  }

  private addSystem(name: string, queues: number, perm = PERM_READ | PERM_WRITE): void {
    this.table.set(name, newTopicConfig(name, { readQueueNums: queues, writeQueueNums: queues, perm }));
    this.systemTopics.add(name);
  }

  private initSystemTopics(): void {
    const c = this.config;
    this.addSystem(SELF_TEST_TOPIC, 1);
    if (c.autoCreateTopicEnable) this.addSystem(AUTO_CREATE_TOPIC_KEY_TOPIC, 8, PERM_INHERIT | PERM_READ | PERM_WRITE);
    this.addSystem(BENCHMARK_TOPIC, 1024);
    // As Apache: PERM_INHERIT always, read/write only when the cluster / broker topic is enabled.
    const rw = PERM_READ | PERM_WRITE;
    this.addSystem(c.brokerClusterName, 16, c.clusterTopicEnable ? rw | PERM_INHERIT : PERM_INHERIT);
    this.addSystem(c.brokerName, 1, c.brokerTopicEnable ? rw | PERM_INHERIT : PERM_INHERIT);
    this.addSystem(OFFSET_MOVED_EVENT, 1);
    this.addSystem(SCHEDULE_TOPIC, 18);
    if (c.traceTopicEnable) this.addSystem(c.msgTraceTopicName, 1);
    this.addSystem(`${c.brokerClusterName}_${REPLY_TOPIC_POSTFIX}`, 1);
  }

  isSystemTopic(topic: string): boolean {
    return this.systemTopics.has(topic);
  }

  /** Loads topics.json over the system defaults. */
  load(path: string): void {
    const text = readConfigFile(path);
    if (!text) return;
    const obj = JSON.parse(text) as { topicConfigTable?: Record<string, Partial<TopicConfig>>; dataVersion?: unknown };
    for (const [name, t] of Object.entries(obj.topicConfigTable ?? {})) {
      this.table.set(name, newTopicConfig(name, t));
    }
    this.dataVersion.load(obj.dataVersion);
  }

  selectTopicConfig(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  /** Apache's createTopicInSendMessageMethod: from a template topic with the inherit bit. */
  createTopicInSendMessageMethod(topic: string, defaultTopic: string, clientQueueNums: number, topicSysFlag: number): TopicConfig | undefined {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const tpl = this.table.get(defaultTopic);
    if (!tpl) return undefined;
    let perm = tpl.perm;
    if (defaultTopic === AUTO_CREATE_TOPIC_KEY_TOPIC && !this.config.autoCreateTopicEnable) perm = PERM_READ | PERM_WRITE;
    if (!isInherited(perm)) return undefined;
    const queueNums = Math.max(1, Math.min(clientQueueNums > 0 ? clientQueueNums : this.config.defaultTopicQueueNums, tpl.writeQueueNums));
    const t = newTopicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm: perm & ~PERM_INHERIT, topicSysFlag });
    this.put(t, true);
    return t;
  }

  /** Apache's createTopicInSendMessageBackMethod: retry and DLQ topics. */
  createTopicInSendMessageBackMethod(topic: string, queueNums: number, perm: number, topicSysFlag: number): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const t = newTopicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicSysFlag });
    this.put(t, true);
    return t;
  }

  /** Creates or replaces a topic (admin UPDATE_AND_CREATE_TOPIC). */
  updateTopicConfig(t: TopicConfig): void {
    this.put(t, false);
  }

  deleteTopicConfig(topic: string): boolean {
    if (!this.table.delete(topic)) return false;
    this.dataVersion.next();
    void this.persist();
    return true;
  }

  private put(t: TopicConfig, notifyCreated: boolean): void {
    this.table.set(t.topicName, t);
    this.dataVersion.next();
    void this.persist();
    if (notifyCreated) this.onTopicCreated(t);
  }

  persist(): Promise<void> {
    return this.persister.request().catch(() => undefined);
  }

  /** Resolves when no background write is in flight. */
  idle(): Promise<void> {
    return this.persister.idle();
  }

  flushSync(): void {
    this.persister.flushSync();
  }

  /** The TopicConfigSerializeWrapper JSON (topics.json, REGISTER_BROKER body part, admin 21). */
  wrapper(): { dataVersion: { counter: number; timestamp: number }; topicConfigTable: Record<string, Record<string, unknown>> } {
    const topicConfigTable: Record<string, Record<string, unknown>> = {};
    for (const [name, t] of this.table) topicConfigTable[name] = topicConfigJson(t);
    return { dataVersion: this.dataVersion.toJSON(), topicConfigTable };
  }

  encode(pretty = false): string {
    return JSON.stringify(this.wrapper(), null, pretty ? 1 : undefined);
  }
}
