// Consumer group configs (retry queue count, retry limit, consume permission), created on first
// use when autoCreateSubscriptionGroup is on; persisted in <root>/config/subscriptionGroup.json.

import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';
import { DataVersion, PersistedTable, Persister, readConfigFile } from '../common/json-file.js';
import type { Logger, SubscriptionGroupConfig } from '@rmq/remoting';

export type { SubscriptionGroupConfig };

const SYSTEM_GROUPS = ['TOOLS_CONSUMER', 'FILTERSRV_CONSUMER', 'SELF_TEST_C_GROUP', 'CID_ONS-HTTP-PROXY',
  'CID_ONSAPI_PULL', 'CID_ONSAPI_PERMISSION', 'CID_ONSAPI_OWNER', 'CID_SYS_RMQ_TRANS'];

export class SubscriptionGroupManager extends PersistedTable {
  readonly table = new Map<string, SubscriptionGroupConfig>();
  readonly dataVersion = new DataVersion();
  protected readonly persister: Persister;

  constructor(private readonly config: BrokerConfig, storePathRootDir: string, logger?: Logger) {
    super();
    this.persister = new Persister(join(storePathRootDir, 'config', 'subscriptionGroup.json'), () => this.encode(true), logger);
    for (const g of SYSTEM_GROUPS) this.table.set(g, this.newConfig(g, { consumeBroadcastEnable: true }));
  }

  newConfig(groupName: string, over: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
    return {
      groupName,
      consumeEnable: true,
      consumeFromMinEnable: true,
      consumeBroadcastEnable: true,
      retryQueueNums: 1,
      retryMaxTimes: this.config.maxReconsumeTimes,
      brokerId: 0,
      whichBrokerWhenConsumeSlowly: 1,
      notifyConsumerIdsChangedEnable: true,
      ...over,
    };
  }

  load(path: string): void {
    const text = readConfigFile(path);
    if (!text) return;
    const obj = JSON.parse(text) as { subscriptionGroupTable?: Record<string, Partial<SubscriptionGroupConfig>>; dataVersion?: unknown };
    for (const [name, g] of Object.entries(obj.subscriptionGroupTable ?? {})) this.table.set(name, this.newConfig(name, g));
    this.dataVersion.load(obj.dataVersion);
  }

  /** The group's config, created when autoCreateSubscriptionGroup is on; else undefined. */
  findSubscriptionGroupConfig(group: string): SubscriptionGroupConfig | undefined {
    let g = this.table.get(group);
    if (!g && this.config.autoCreateSubscriptionGroup) {
      g = this.newConfig(group);
      this.table.set(group, g);
      this.dataVersion.next();
      void this.persist();
    }
    return g;
  }

  updateSubscriptionGroupConfig(g: SubscriptionGroupConfig): void {
    this.table.set(g.groupName, g);
    this.dataVersion.next();
    void this.persist();
  }

  deleteSubscriptionGroupConfig(group: string): boolean {
    if (!this.table.delete(group)) return false;
    this.dataVersion.next();
    void this.persist();
    return true;
  }

  /** Apache's SubscriptionGroupWrapper JSON (fastjson field order). */
  wrapper(): { dataVersion: { counter: number; timestamp: number }; subscriptionGroupTable: Record<string, Record<string, unknown>> } {
    const subscriptionGroupTable: Record<string, Record<string, unknown>> = {};
    for (const [name, g] of this.table) {
      subscriptionGroupTable[name] = {
        brokerId: g.brokerId, consumeBroadcastEnable: g.consumeBroadcastEnable, consumeEnable: g.consumeEnable,
        consumeFromMinEnable: g.consumeFromMinEnable, groupName: g.groupName,
        notifyConsumerIdsChangedEnable: g.notifyConsumerIdsChangedEnable, retryMaxTimes: g.retryMaxTimes,
        retryQueueNums: g.retryQueueNums, whichBrokerWhenConsumeSlowly: g.whichBrokerWhenConsumeSlowly,
      };
    }
    return { dataVersion: this.dataVersion.toJSON(), subscriptionGroupTable };
  }

  encode(pretty = false): string {
    return JSON.stringify(this.wrapper(), null, pretty ? 1 : undefined);
  }
}
