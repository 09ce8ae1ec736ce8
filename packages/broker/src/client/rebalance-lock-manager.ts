// Queue locks for orderly consumers (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): one owner clientId per
// (group, topic, brokerName, queueId); a lock not renewed within its lifetime is free again.

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

interface LockEntry {
  clientId: string;
  lastUpdateTimestamp: number;
}

const mqKey = (mq: MessageQueue): string => `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;

export class RebalanceLockManager {
  private readonly groups = new Map<string, Map<string, LockEntry>>();

  constructor(private readonly lockMaxLiveTimeMs = 60_000) {}

  private isLocked(group: string, mq: MessageQueue, clientId: string, now: number): boolean {
    const e = this.groups.get(group)?.get(mqKey(mq));
    if (!e || e.clientId !== clientId || now - e.lastUpdateTimestamp > this.lockMaxLiveTimeMs) return false;
    e.lastUpdateTimestamp = now;
    return true;
  }

  /** Locks what is free, expired or already ours; returns the queues now held by clientId. */
  tryLockBatch(group: string, mqs: MessageQueue[], clientId: string, now = Date.now()): MessageQueue[] {
    let table = this.groups.get(group);
    if (!table) {
      table = new Map();
      this.groups.set(group, table);
    }
    const ok: MessageQueue[] = [];
    for (const mq of mqs) {
      if (this.isLocked(group, mq, clientId, now)) {
        ok.push(mq);
        continue;
      }
      const key = mqKey(mq);
      const e = table.get(key);
      if (!e || now - e.lastUpdateTimestamp > this.lockMaxLiveTimeMs) {
        table.set(key, { clientId, lastUpdateTimestamp: now });
        ok.push(mq);
      }
    }
    return ok;
  }

  unlockBatch(group: string, mqs: MessageQueue[], clientId: string): void {
    const table = this.groups.get(group);
    if (!table) return;
    for (const mq of mqs) {
      const key = mqKey(mq);
      if (table.get(key)?.clientId === clientId) table.delete(key);
    }
  }
}
