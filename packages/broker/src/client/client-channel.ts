// One client connection as the broker knows it from heartbeats.

import type { Channel } from '@rmq/remoting';

export interface ClientChannelInfo {
  channel: Channel;
  clientId: string;
  language: string;
  version: number;
  lastUpdateTimestamp: number;
}
