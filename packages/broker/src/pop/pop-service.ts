import type { BrokerContext } from '../broker-context.js';

export class PopService {
  constructor(readonly ctx: BrokerContext) {}
  start(): void {}
  notifyMessageArriving(topic: string, queueId: number): void { void topic; void queueId; }
  shutdown(): void {}
}
