// SlaveSynchronize (Apache's broker/slave/SlaveSynchronize): every 10 s a slave copies its master's
// metadata and persists it, so a consumer moved to the slave starts where its group was:
//   GET_ALL_TOPIC_CONFIG (21)              replace the table when the master's dataVersion differs
//   GET_ALL_CONSUMER_OFFSET (43)           merge (the master's entries win; offsets committed to the
//                                          slave while the master was down are kept until then)
//   GET_ALL_DELAY_OFFSET (45)              written to config/delayOffset.json
//   GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) replace the table when the dataVersion differs
// The master address is the masterAddr of the last REGISTER_BROKER result.
import { join } from 'node:path';
import { RemotingClient, RemotingCommand, type Logger } from '@rmq/remoting';
import { writeConfigFileSync } from '../common/json-file.js';
import { parseIntKeyedJson, type ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import type { SubscriptionGroupManager } from '../subscription/subscription-group-manager.js';
import type { ScheduleMessageService } from '../schedule/schedule-message-service.js';
import type { TopicConfig } from '../topic/topic-config-manager.js';
import { newTopicConfig } from '../topic/topic-config-manager.js';

export const GET_ALL_TOPIC_CONFIG = 21;
export const GET_ALL_CONSUMER_OFFSET = 43;
export const GET_ALL_DELAY_OFFSET = 45;
export const GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201;

export interface SlaveSyncTargets {
  brokerAddr: string;
  storePathRootDir: string;
  topicConfigManager: TopicConfigManager;
  consumerOffsetManager: ConsumerOffsetManager;
  subscriptionGroupManager: SubscriptionGroupManager;
  scheduleMessageService?: ScheduleMessageService;
}

interface VersionJson { counter?: number; timestamp?: number }

function sameVersion(a: { counter: number; timestamp: number }, b: VersionJson | undefined): boolean {
  return b !== undefined && a.counter === b.counter && a.timestamp === b.timestamp;
}

export class SlaveSynchronize {
  masterAddr: string | null = null;
  private readonly client: RemotingClient;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** completed syncAll rounds (tests wait on it) */
  rounds = 0;
  lastSyncMs = 0;

  constructor(private readonly t: SlaveSyncTargets, private readonly log: Logger, private readonly timeoutMs = 3000) {
    this.client = new RemotingClient({ connectTimeoutMs: 3000, logger: log });
  }

  start(intervalMs = 10_000, firstDelayMs = 3_000): void {
    const run = () => { void this.syncAll(); };
    const first = setTimeout(() => { run(); this.timer = setInterval(run, intervalMs); this.timer.unref(); }, firstDelayMs);
    first.unref();
    this.timer = first;
  }

  private async call(code: number): Promise<Buffer> {
    const res = await this.client.invoke(this.masterAddr!, RemotingCommand.request(code, {}), this.timeoutMs);
    if (res.code !== 0) throw new Error(`code ${code} answered ${res.code} ${res.remark ?? ''}`);
    const b = res.body;
    if (b == null) return Buffer.alloc(0);
    return Array.isArray(b) ? Buffer.concat(b) : b;
  }

  /** One round of the four syncs; never throws (each logs its own failure). */
  syncAll(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      const m = this.masterAddr;
      if (m === null || m === this.t.brokerAddr) return;
      await this.step('topic config', () => this.syncTopicConfig());
      await this.step('consumer offsets', () => this.syncConsumerOffset());
      await this.step('delay offsets', () => this.syncDelayOffset());
      await this.step('subscription groups', () => this.syncSubscriptionGroupConfig());
      this.rounds++;
      this.lastSyncMs = Date.now();
    })().finally(() => { this.running = null; });
    return this.running;
  }

  private async step(what: string, fn: () => Promise<void>): Promise<void> {
    try { await fn(); } catch (e) { this.log.warn(`slave sync of ${what} from ${this.masterAddr}: ${(e as Error).message}`); }
  }

  private async syncTopicConfig(): Promise<void> {
    const obj = parseIntKeyedJson((await this.call(GET_ALL_TOPIC_CONFIG)).toString('utf8')) as
      { topicConfigTable?: Record<string, Partial<TopicConfig>>; dataVersion?: VersionJson };
    const tcm = this.t.topicConfigManager;
    if (sameVersion(tcm.dataVersion, obj.dataVersion)) return;
    tcm.table.clear();
    for (const [name, tc] of Object.entries(obj.topicConfigTable ?? {})) tcm.table.set(name, newTopicConfig(name, tc));
    tcm.dataVersion.load(obj.dataVersion);
    await tcm.persist();
    this.log.info(`slave: topic config updated from master ${this.masterAddr} (${tcm.table.size} topics)`);
  }

  private async syncConsumerOffset(): Promise<void> {
    const obj = parseIntKeyedJson((await this.call(GET_ALL_CONSUMER_OFFSET)).toString('utf8')) as
      { offsetTable?: Record<string, Record<string, number>> };
    const com = this.t.consumerOffsetManager;
    for (const [key, queues] of Object.entries(obj.offsetTable ?? {})) {
      const at = key.indexOf('@');
      if (at <= 0) continue;
      const topic = key.slice(0, at);
      const group = key.slice(at + 1);
      for (const [q, off] of Object.entries(queues)) com.commitOffset(group, topic, Number(q), Number(off));
    }
    await com.persistIfDirty();
  }

  private async syncDelayOffset(): Promise<void> {
    const text = (await this.call(GET_ALL_DELAY_OFFSET)).toString('utf8');
    if (text.length === 0) return;
    const obj = parseIntKeyedJson(text) as { offsetTable?: Record<string, number> };
    writeConfigFileSync(join(this.t.storePathRootDir, 'config', 'delayOffset.json'), text);
    const sms = this.t.scheduleMessageService;
    if (sms) for (const [lvl, off] of Object.entries(obj.offsetTable ?? {})) sms.offsetTable.set(Number(lvl), Number(off));
  }

  private async syncSubscriptionGroupConfig(): Promise<void> {
    const obj = parseIntKeyedJson((await this.call(GET_ALL_SUBSCRIPTIONGROUP_CONFIG)).toString('utf8')) as
      { subscriptionGroupTable?: Record<string, Record<string, unknown>>; dataVersion?: VersionJson };
    const sgm = this.t.subscriptionGroupManager;
    if (sameVersion(sgm.dataVersion, obj.dataVersion)) return;
    sgm.table.clear();
    for (const [name, g] of Object.entries(obj.subscriptionGroupTable ?? {})) sgm.table.set(name, sgm.newConfig(name, g));
    sgm.dataVersion.load(obj.dataVersion);
    await sgm.persist();
    this.log.info(`slave: subscription groups updated from master ${this.masterAddr} (${sgm.table.size} groups)`);
  }

  async shutdown(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); clearInterval(this.timer); }
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.client.close();
  }
}
