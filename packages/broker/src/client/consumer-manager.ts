// Consumer groups: which channels belong to a group and what the group subscribes to. A change
// in membership or subscriptions sends NOTIFY_CONSUMER_IDS_CHANGED (40, oneway) to every channel
// of the group so clients rebalance at once. Channels silent for channelExpiredTimeoutMs go away.

import { RemotingCommand, RequestCode, type Channel, type Logger } from '@rmq/remoting';
import type { ClientChannelInfo } from './client-channel.js';
import type { SubscriptionData } from './subscription-data.js';

const { NOTIFY_CONSUMER_IDS_CHANGED } = RequestCode;

export class ConsumerGroupInfo {
  readonly channels = new Map<Channel, ClientChannelInfo>();
  readonly subscriptions = new Map<string, SubscriptionData>();
  lastUpdateTimestamp = Date.now();
  constructor(
    readonly groupName: string,
    public consumeType: string,
    public messageModel: string,
    public consumeFromWhere: string,
  ) {}

  /** true when the channel is new to the group. */
  updateChannel(info: ClientChannelInfo, consumeType: string, messageModel: string, consumeFromWhere: string): boolean {
    this.consumeType = consumeType;
    this.messageModel = messageModel;
    this.consumeFromWhere = consumeFromWhere;
    const old = this.channels.get(info.channel);
    this.lastUpdateTimestamp = Date.now();
    if (!old) {
      this.channels.set(info.channel, info);
      return true;
    }
    if (old.clientId !== info.clientId) {
      this.channels.set(info.channel, info);
      return true;
    }
    old.lastUpdateTimestamp = info.lastUpdateTimestamp;
    return false;
  }

  /** true when a topic was added or removed. Newer subVersions replace older ones. */
  updateSubscription(subs: SubscriptionData[]): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const sd of subs) {
      seen.add(sd.topic);
      const old = this.subscriptions.get(sd.topic);
      if (!old) {
        this.subscriptions.set(sd.topic, sd);
        changed = true;
      } else if (sd.subVersion > old.subVersion) {
        this.subscriptions.set(sd.topic, sd);
      }
    }
    for (const topic of [...this.subscriptions.keys()]) {
      if (!seen.has(topic)) {
        this.subscriptions.delete(topic);
        changed = true;
      }
    }
    this.lastUpdateTimestamp = Date.now();
    return changed;
  }

  allClientIds(): string[] {
    const ids: string[] = [];
    for (const info of this.channels.values()) if (!ids.includes(info.clientId)) ids.push(info.clientId);
    return ids;
  }

  findChannelByClientId(clientId: string): ClientChannelInfo | undefined {
    for (const info of this.channels.values()) if (info.clientId === clientId) return info;
    return undefined;
  }
}

export class ConsumerManager {
  readonly groups = new Map<string, ConsumerGroupInfo>();

  constructor(private readonly logger: Logger, private readonly channelExpiredTimeoutMs = 120_000) {}

  getConsumerGroupInfo(group: string): ConsumerGroupInfo | undefined {
    return this.groups.get(group);
  }

  findSubscriptionData(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptions.get(topic);
  }

  /** Returns true when membership or subscriptions changed (and notified the group). */
  registerConsumer(group: string, info: ClientChannelInfo, consumeType: string, messageModel: string,
    consumeFromWhere: string, subs: SubscriptionData[], notify: boolean): boolean {
    let g = this.groups.get(group);
    if (!g) {
      g = new ConsumerGroupInfo(group, consumeType, messageModel, consumeFromWhere);
      this.groups.set(group, g);
    }
    const r1 = g.updateChannel(info, consumeType, messageModel, consumeFromWhere);
    const r2 = g.updateSubscription(subs);
    if ((r1 || r2) && notify) this.notifyConsumerIdsChanged(g);
    return r1 || r2;
  }

  unregisterConsumer(group: string, channel: Channel, notify: boolean): void {
    const g = this.groups.get(group);
    if (!g) return;
    if (g.channels.delete(channel) && g.channels.size === 0) {
      this.groups.delete(group);
      return;
    }
    if (notify) this.notifyConsumerIdsChanged(g);
  }

  /** A connection closed or expired: leave every group it was in. */
  doChannelCloseEvent(channel: Channel): void {
    for (const [name, g] of [...this.groups]) {
      if (!g.channels.delete(channel)) continue;
      if (g.channels.size === 0) this.groups.delete(name);
      else this.notifyConsumerIdsChanged(g);
    }
  }

  /** Drops channels silent for too long; returns them so the caller can close them. */
  scanNotActiveChannel(now = Date.now()): Channel[] {
    const expired: Channel[] = [];
    for (const g of this.groups.values()) {
      for (const [ch, info] of g.channels) {
        if (now - info.lastUpdateTimestamp > this.channelExpiredTimeoutMs) expired.push(ch);
      }
    }
    for (const ch of expired) {
      this.logger.warn(`consumer channel ${ch.remoteAddress} expired`);
      this.doChannelCloseEvent(ch);
    }
    return expired;
  }

  /** Groups subscribed to `topic`. */
  queryTopicConsumeByWho(topic: string): Set<string> {
    const out = new Set<string>();
    for (const [name, g] of this.groups) if (g.subscriptions.has(topic)) out.add(name);
    return out;
  }

  notifyConsumerIdsChanged(g: ConsumerGroupInfo): void {
    for (const ch of g.channels.keys()) {
      if (ch.closed) continue;
      try {
        const cmd = RemotingCommand.request(NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: g.groupName });
        cmd.markOneway();
        ch.invokeOneway(cmd);
      } catch (e) {
        this.logger.debug(`notify ${ch.remoteAddress} failed: ${(e as Error).message}`);
      }
    }
  }
}
