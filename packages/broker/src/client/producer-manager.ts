// Producer groups and their channels (CHECK_TRANSACTION_STATE targets, admin connection lists).

import type { Channel, Logger } from '@rmq/remoting';
import type { ClientChannelInfo } from './client-channel.js';

export class ProducerManager {
  readonly groups = new Map<string, Map<Channel, ClientChannelInfo>>();

  constructor(private readonly logger: Logger, private readonly channelExpiredTimeoutMs = 120_000) {}

  registerProducer(group: string, info: ClientChannelInfo): void {
    let m = this.groups.get(group);
    if (!m) {
      m = new Map();
      this.groups.set(group, m);
    }
    const old = m.get(info.channel);
    if (old) old.lastUpdateTimestamp = info.lastUpdateTimestamp;
    else m.set(info.channel, info);
  }

  unregisterProducer(group: string, channel: Channel): void {
    const m = this.groups.get(group);
    if (!m) return;
    m.delete(channel);
    if (m.size === 0) this.groups.delete(group);
  }

  doChannelCloseEvent(channel: Channel): void {
    for (const [g, m] of [...this.groups]) {
      if (m.delete(channel) && m.size === 0) this.groups.delete(g);
    }
  }

  scanNotActiveChannel(now = Date.now()): Channel[] {
    const expired: Channel[] = [];
    for (const m of this.groups.values()) {
      for (const [ch, info] of m) if (now - info.lastUpdateTimestamp > this.channelExpiredTimeoutMs) expired.push(ch);
    }
    for (const ch of expired) {
      this.logger.warn(`producer channel ${ch.remoteAddress} expired`);
      this.doChannelCloseEvent(ch);
    }
    return expired;
  }

  /** The live channel of a client id (request-reply pushes). */
  findChannel(clientId: string): Channel | undefined {
    for (const m of this.groups.values()) {
      for (const [ch, info] of m) if (info.clientId === clientId && !ch.closed) return ch;
    }
    return undefined;
  }

  /** Some live channel of `group` (transaction check-back). */
  getAvailableChannel(group: string): Channel | undefined {
    const m = this.groups.get(group);
    if (!m) return undefined;
    for (const ch of m.keys()) if (!ch.closed) return ch;
    return undefined;
  }
}
