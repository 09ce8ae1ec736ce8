// Consumed queue offsets per queue never go backwards: what an ordered or pull consumer reads of one
// queue comes in offset order (a redelivery of the same offset, as after SUSPEND_CURRENT_QUEUE_A_MOMENT,
// is allowed; a seek starts the queue over).
export interface QueueMessage { topic: string; queueId: number; queueOffset: number; brokerName?: string }

export class OffsetOrder {
  private readonly last = new Map<string, number>();
  /** one line for each time a queue's offset went backwards */
  readonly backwards: string[] = [];
  /** how many messages were seen */
  seen = 0;

  private static key(m: { topic: string; queueId: number; brokerName?: string }): string {
    return `${m.topic}@${m.brokerName ?? ''}#${m.queueId}`;
  }

  see(m: QueueMessage): void {
    this.seen++;
    const k = OffsetOrder.key(m);
    const prev = this.last.get(k);
    if (prev !== undefined && m.queueOffset < prev) this.backwards.push(`${k}: offset ${m.queueOffset} after ${prev}`);
    this.last.set(k, m.queueOffset);
  }

  /** The consumer was told to read a queue again from somewhere else (seek). */
  restart(q: { topic: string; queueId: number; brokerName?: string }): void {
    this.last.delete(OffsetOrder.key(q));
  }
}
