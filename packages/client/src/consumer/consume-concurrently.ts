// Concurrent consumption: messages from all queues go through at most `consumeConcurrency`
// handler calls at a time. Failures are sent back to the broker (%RETRY%group, delayed), or
// retried locally when that fails; a queue's offset advances to its smallest unconsumed message.
import type { MessageExt, MessageQueue } from '../message.js';
import { MessageConst } from '../protocol.js';
import type { ConsumeHost, ConsumeService } from './consume-types.js';
import type { ConsumeResult } from './consume-types.js';
import { isSuccess, resetRetryTopic, sleep } from './consume-types.js';
import type { ProcessQueue } from './process-queue.js';

/** One submit's messages, handed out one by one: the queue holds a batch per pull, not an entry per message. */
interface Batch { readonly msgs: MessageExt[]; readonly pq: ProcessQueue; readonly mq: MessageQueue; next: number }

/** What a dispatched batch's slot holds until the queue is compacted. */
const DONE: Batch = { msgs: [], pq: null as unknown as ProcessQueue, mq: null as unknown as MessageQueue, next: 0 };

/** A failed message whose send-back also failed is consumed again this much later. */
export const RECONSUME_LATER_LOCAL_MS = 5000;

export class ConsumeConcurrentlyService implements ConsumeService {
  private readonly pending: Batch[] = [];
  private head = 0;
  private active = 0;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly host: ConsumeHost) {}

  submit(msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue): void {
    if (msgs.length > 0) this.pending.push({ msgs, pq, mq, next: 0 });
    this.pump();
  }

  private pumping = false;

  private pump(): void {
    // Handlers that finish synchronously complete inside start(), which calls pump() again: the
    // flag turns that into another turn of this loop instead of recursion.
    if (this.pumping) return;
    this.pumping = true;
    try {
      const pending = this.pending;
      while (!this.stopped && this.active < this.host.consumeConcurrency && this.head < pending.length) {
        const b = pending[this.head]!;
        const msg = b.msgs[b.next++]!;
        if (b.next >= b.msgs.length) {
          // a dispatched batch must not keep its messages (and their reply buffers) alive
          pending[this.head++] = DONE;
          if (this.head > 64 && this.head * 2 > pending.length) { pending.splice(0, this.head); this.head = 0; }
        }
        if (b.pq.dropped) continue;
        this.active++;
        this.start(msg, b.pq, b.mq);
      }
    } finally {
      this.pumping = false;
    }
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.active === 0 && this.head >= this.pending.length && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private lastStartMs = -1;
  private lastStartText = '';

  /** Calls the handler; a synchronous result is settled at once, a promise when it settles. */
  private start(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): void {
    resetRetryTopic(msg, this.host.groupName);
    const now = Date.now();
    if (now !== this.lastStartMs) { this.lastStartMs = now; this.lastStartText = String(now); }
    msg.properties[MessageConst.CONSUME_START_TIME] = this.lastStartText;
    let r: ConsumeResult | Promise<ConsumeResult>;
    try {
      r = this.host.handler()(msg);
    } catch (error) {
      this.failed(msg, pq, mq, error);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as Promise<ConsumeResult>).then === 'function') {
      (r as Promise<ConsumeResult>).then((v) => this.settled(msg, pq, mq, v, Date.now()), (e: unknown) => this.failed(msg, pq, mq, e));
    } else {
      this.settled(msg, pq, mq, r as ConsumeResult, now); // a synchronous handler: the clock read for its start will do
    }
  }

  private failed(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue, error: unknown): void {
    this.host.log.warn(`consume message ${msg.msgId} threw: ${(error as Error)?.message ?? error}`);
    this.settled(msg, pq, mq, 'RECONSUME_LATER', Date.now());
  }

  private settled(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue, result: ConsumeResult, nowMs: number): void {
    if (isSuccess(result)) {
      pq.lastConsumeMs = nowMs;
      // a dropped queue's new owner consumes from the committed offset
      if (!pq.dropped) {
        const offset = pq.removeMessage(msg);
        if (offset >= 0 && !pq.dropped) this.host.offsetStore.updateOffset(mq, offset, true);
      }
      this.done();
      return;
    }
    void this.retry(msg, pq, mq).finally(() => this.done());
  }

  private done(): void {
    this.active--;
    this.pump();
  }

  /** A failed message: back to the broker (%RETRY%group, delayed), else retried here later. */
  private async retry(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): Promise<void> {
    pq.lastConsumeMs = Date.now();
    if (pq.dropped) return; // the queue was given away; its new owner consumes from the committed offset
    if (this.host.messageModel === 'BROADCASTING') {
      this.host.log.warn(`BROADCASTING, the message consume failed, drop it, ${msg.msgId}`);
    } else if (!(await this.host.sendMessageBack(msg, 0, mq.brokerName))) {
      // Neither send-back worked: keep the message (its offset stays uncommitted) and retry here.
      msg.reconsumeTimes++;
      const timer = setTimeout(() => { this.timers.delete(timer); this.submit([msg], pq, mq); }, RECONSUME_LATER_LOCAL_MS);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    const offset = pq.removeMessage(msg);
    if (offset >= 0 && !pq.dropped) this.host.offsetStore.updateOffset(mq, offset, true);
  }

  async drain(timeoutMs: number): Promise<void> {
    if (this.active === 0) return;
    await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), sleep(timeoutMs)]);
  }

  shutdown(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    this.head = 0;
  }
}
