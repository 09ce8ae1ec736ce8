// Concurrent consumption: messages from all queues go through at most `consumeConcurrency`
// handler calls at a time. Failures are sent back to the broker (%RETRY%group, delayed), or
// retried locally when that fails; a queue's offset advances to its smallest unconsumed message.
import type { MessageExt, MessageQueue } from '../message.js';
import { MessageConst } from '../protocol.js';
import type { ConsumeHost, ConsumeService } from './consume-types.js';
import type { ConsumeResult } from './consume-types.js';
import { isSuccess, resetRetryTopic, sleep } from './consume-types.js';
import type { ProcessQueue } from './process-queue.js';

interface Task { msg: MessageExt; pq: ProcessQueue; mq: MessageQueue }

/** A failed message whose send-back also failed is consumed again this much later. */
export const RECONSUME_LATER_LOCAL_MS = 5000;

export class ConsumeConcurrentlyService implements ConsumeService {
  private readonly pending: Task[] = [];
  private head = 0;
  private active = 0;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly host: ConsumeHost) {}

  submit(msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue): void {
    for (const msg of msgs) this.pending.push({ msg, pq, mq });
    this.pump();
  }

  private pumping = false;

  private pump(): void {
    // Handlers that finish synchronously complete inside start(), which calls pump() again: the
    // flag turns that into another turn of this loop instead of recursion.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.active < this.host.consumeConcurrency && this.head < this.pending.length) {
        const t = this.pending[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.pending.length) { this.pending.splice(0, this.head); this.head = 0; }
        if (t.pq.dropped) continue;
        this.active++;
        this.start(t);
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
  private start(t: Task): void {
    const msg = t.msg;
    resetRetryTopic(msg, this.host.groupName);
    const now = Date.now();
    if (now !== this.lastStartMs) { this.lastStartMs = now; this.lastStartText = String(now); }
    msg.properties[MessageConst.CONSUME_START_TIME] = this.lastStartText;
    let r: ConsumeResult | Promise<ConsumeResult>;
    try {
      r = this.host.handler()(msg);
    } catch (error) {
      this.failed(t, error);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as Promise<ConsumeResult>).then === 'function') {
      (r as Promise<ConsumeResult>).then((v) => this.settled(t, v), (e: unknown) => this.failed(t, e));
    } else {
      this.settled(t, r as ConsumeResult);
    }
  }

  private failed(t: Task, error: unknown): void {
    this.host.log.warn(`consume message ${t.msg.msgId} threw: ${(error as Error)?.message ?? error}`);
    this.settled(t, 'RECONSUME_LATER');
  }

  private settled(t: Task, result: ConsumeResult): void {
    if (isSuccess(result)) {
      const pq = t.pq;
      pq.lastConsumeMs = Date.now();
      // a dropped queue's new owner consumes from the committed offset
      if (!pq.dropped) {
        const offset = pq.removeMessage(t.msg);
        if (offset >= 0 && !pq.dropped) this.host.offsetStore.updateOffset(t.mq, offset, true);
      }
      this.done();
      return;
    }
    void this.retry(t).finally(() => this.done());
  }

  private done(): void {
    this.active--;
    this.pump();
  }

  /** A failed message: back to the broker (%RETRY%group, delayed), else retried here later. */
  private async retry(t: Task): Promise<void> {
    const { msg, pq, mq } = t;
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
