// Latency fault tolerance: after each send the broker's latency (or a failure) marks it
// unavailable for a while, stepped like the Java client's MQFaultStrategy; queue selection
// round-robins over the queues of brokers that are available, and only falls back to a
// recently-failed broker when nothing else is left.
import type { MessageQueue } from '../message.js';

/** Latency thresholds (ms) and how long a broker is avoided after a send that slow. */
export const LATENCY_MAX_MS = [50, 100, 550, 1000, 2000, 3000, 15000];
export const NOT_AVAILABLE_DURATION_MS = [0, 0, 30000, 60000, 120000, 180000, 600000];
/** Latency recorded for a send that failed outright (isolation). */
export const ISOLATION_LATENCY_MS = 30000;

interface FaultItem {
  brokerName: string;
  latencyMs: number;
  startAvailableMs: number;
}

export class LatencyFaultTolerance {
  private readonly items = new Map<string, FaultItem>();
  private whichItem = 0;

  constructor(private readonly now: () => number = Date.now) {}

  update(brokerName: string, latencyMs: number, notAvailableMs: number): void {
    const startAvailableMs = this.now() + notAvailableMs;
    const it = this.items.get(brokerName);
    // In place: one item per broker for its lifetime instead of a new object per send.
    if (it !== undefined) { it.latencyMs = latencyMs; it.startAvailableMs = startAvailableMs; }
    else this.items.set(brokerName, { brokerName, latencyMs, startAvailableMs });
  }

  isAvailable(brokerName: string): boolean {
    const it = this.items.get(brokerName);
    return !it || this.now() >= it.startAvailableMs;
  }

  remove(brokerName: string): void {
    this.items.delete(brokerName);
  }

  /** Among the faulty brokers, one of the better half (least latency, soonest available). */
  pickOneAtLeast(): string | undefined {
    const list = [...this.items.values()];
    if (list.length === 0) return undefined;
    const now = this.now();
    list.sort((a, b) => {
      const aa = now >= a.startAvailableMs ? 0 : 1;
      const ba = now >= b.startAvailableMs ? 0 : 1;
      if (aa !== ba) return aa - ba;
      if (a.latencyMs !== b.latencyMs) return a.latencyMs - b.latencyMs;
      return a.startAvailableMs - b.startAvailableMs;
    });
    const half = Math.max(1, list.length >> 1);
    const i = this.whichItem++ % half;
    return list[i]!.brokerName;
  }
}

export function computeNotAvailableMs(latencyMs: number): number {
  for (let i = LATENCY_MAX_MS.length - 1; i >= 0; i--) {
    if (latencyMs >= LATENCY_MAX_MS[i]!) return NOT_AVAILABLE_DURATION_MS[i]!;
  }
  return 0;
}

export class FaultStrategy {
  readonly tolerance: LatencyFaultTolerance;
  /**
   * One round-robin position per topic, as Java keeps one per TopicPublishInfo: keyed by the topic's
   * queue list (replaced when its route changes), so a producer alternating topics still walks every
   * queue of each. A single shared counter would pin each topic to every other queue.
   */
  private readonly sendWhichQueue = new WeakMap<readonly MessageQueue[], number>();

  constructor(public enabled = true, now: () => number = Date.now) {
    this.tolerance = new LatencyFaultTolerance(now);
  }

  private nextIndex(queues: readonly MessageQueue[]): number {
    const i = this.sendWhichQueue.get(queues) ?? Math.floor(Math.random() * 1024);
    this.sendWhichQueue.set(queues, (i + 1) & 0x7fffffff);
    return i;
  }

  /**
   * Picks the next queue round robin. With fault tolerance: skip queues of unavailable brokers and,
   * on a retry, the broker that just failed; without: only skip the last failed broker.
   */
  selectOneMessageQueue(queues: MessageQueue[], lastBrokerName?: string): MessageQueue {
    if (queues.length === 0) throw new Error('no queue to select');
    if (this.enabled) {
      for (let k = 0; k < queues.length; k++) {
        const mq = queues[this.nextIndex(queues) % queues.length]!;
        if (this.tolerance.isAvailable(mq.brokerName) && mq.brokerName !== lastBrokerName) return mq;
      }
      // Everything is faulty or only the failed broker is left: take the least bad other broker.
      const notBest = this.tolerance.pickOneAtLeast();
      if (notBest !== undefined && notBest !== lastBrokerName) {
        const onBroker = queues.filter((q) => q.brokerName === notBest);
        if (onBroker.length > 0) return onBroker[this.nextIndex(queues) % onBroker.length]!;
      }
      const others = queues.filter((q) => q.brokerName !== lastBrokerName);
      const pool = others.length > 0 ? others : queues;
      return pool[this.nextIndex(queues) % pool.length]!;
    }
    if (lastBrokerName !== undefined) {
      for (let k = 0; k < queues.length; k++) {
        const mq = queues[this.nextIndex(queues) % queues.length]!;
        if (mq.brokerName !== lastBrokerName) return mq;
      }
    }
    return queues[this.nextIndex(queues) % queues.length]!;
  }

  /** Records a send's outcome: `isolation` (a failure) avoids the broker for the longest step. */
  updateFaultItem(brokerName: string, latencyMs: number, isolation: boolean): void {
    if (!this.enabled) return;
    const lat = isolation ? ISOLATION_LATENCY_MS : latencyMs;
    this.tolerance.update(brokerName, lat, computeNotAvailableMs(lat));
  }
}
