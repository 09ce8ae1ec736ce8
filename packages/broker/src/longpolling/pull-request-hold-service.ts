// Long polling (Apache's PullRequestHoldService): a pull that finds nothing is parked here,
// keyed `topic@queueId`, until the store's dispatcher reports a message past the pulled offset
// or the request's suspend time runs out. Wake-ups come from store.onNewMessage; a 1 s sweep
// only handles timeouts. The total number of held requests is bounded.

export interface HeldPull {
  topic: string;
  queueId: number;
  /** The offset the client pulled from: a message at or past it wakes the request. */
  pullFromThisOffset: number;
  suspendTimestamp: number;
  timeoutMillis: number;
  /** Re-runs the pull without suspending and writes the reply. */
  wake(): void;
  /** True when the connection is gone (the request is dropped without a reply). */
  isDead(): boolean;
  /** Releases a dead request without replying. */
  cancel(): void;
}

const key = (topic: string, queueId: number): string => `${topic}@${queueId}`;

export class PullRequestHoldService {
  private readonly table = new Map<string, HeldPull[]>();
  private heldCount = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxHeld: number, private readonly sweepIntervalMs = 1000) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.heldCount;
  }

  /** false when the bound is reached (the caller answers at once instead). */
  suspend(req: HeldPull): boolean {
    if (this.heldCount >= this.maxHeld) return false;
    const k = key(req.topic, req.queueId);
    let list = this.table.get(k);
    if (!list) {
      list = [];
      this.table.set(k, list);
    }
    list.push(req);
    this.heldCount++;
    return true;
  }

  /** From the dispatcher: the queue's max offset is now `maxOffset` (next offset to be written). */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number): void {
    // called for every queue a dispatch touched: with nothing held (a producer-only load) no key is built
    if (this.heldCount === 0) return;
    const k = key(topic, queueId);
    const list = this.table.get(k);
    if (!list) return;
    const keep: HeldPull[] = [];
    const woken: HeldPull[] = [];
    for (const r of list) {
      if (maxOffset > r.pullFromThisOffset || r.isDead()) woken.push(r);
      else keep.push(r);
    }
    if (woken.length === 0) return;
    this.heldCount -= woken.length;
    if (keep.length === 0) this.table.delete(k);
    else this.table.set(k, keep);
    for (const r of woken) {
      if (r.isDead()) r.cancel();
      else this.safeWake(r);
    }
  }

  /** Wakes expired requests (they answer PULL_NOT_FOUND) and drops dead ones. */
  sweep(now = Date.now()): void {
    for (const [k, list] of [...this.table]) {
      const keep: HeldPull[] = [];
      for (const r of list) {
        if (r.isDead()) {
          this.heldCount--;
          r.cancel();
        } else if (now >= r.suspendTimestamp + r.timeoutMillis) {
          this.heldCount--;
          this.safeWake(r);
        } else {
          keep.push(r);
        }
      }
      if (keep.length === 0) this.table.delete(k);
      else this.table.set(k, keep);
    }
  }

  private safeWake(r: HeldPull): void {
    try {
      r.wake();
    } catch {
      /* the pull's own error handling answers the client */
    }
  }

  /** Answers every held request (shutdown). */
  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.wakeAll();
  }

  /** Answers every held request now (they reply as if their time ran out). */
  wakeAll(): void {
    const all = [...this.table.values()].flat();
    this.table.clear();
    this.heldCount = 0;
    for (const r of all) {
      if (r.isDead()) r.cancel();
      else this.safeWake(r);
    }
  }
}
