// Concurrent consumption: messages from all queues go through at most `consumeConcurrency`
// handler calls at a time. Failures are sent back to the broker (%RETRY%group, delayed), or
// retried locally when that fails; a queue's offset advances to its smallest unconsumed message.
import type { MessageExt, MessageQueue } from '../message.js';
import { MessageConst } from '../protocol.js';
import type { ConsumeHost, ConsumeService } from './consume-types.js';
import { callHandler, resetRetryTopic, sleep } from './consume-types.js';
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

  private pump(): void {
    while (!this.stopped && this.active < this.host.consumeConcurrency && this.head < this.pending.length) {
      const t = this.pending[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.pending.length) { this.pending.splice(0, this.head); this.head = 0; }
      if (t.pq.dropped) continue;
      this.active++;
      void this.run(t).finally(() => {
        this.active--;
        if (this.active === 0 && this.head >= this.pending.length) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private async run(t: Task): Promise<void> {
    const { msg, pq, mq } = t;
    resetRetryTopic(msg, this.host.groupName);
    msg.properties[MessageConst.CONSUME_START_TIME] = String(Date.now());
    const r = await callHandler(this.host.handler(), msg, this.host.log);
    pq.lastConsumeMs = Date.now();
    if (pq.dropped) return; // the queue was given away; its new owner consumes from the committed offset
    if (!r.ok) {
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
    }
    const offset = pq.removeMessages([msg]);
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
