// Orderly consumption: each queue is consumed one message at a time, in offset order, only while
// this client holds the queue's broker lock (clustering). A failed message suspends its queue for
// a moment and is retried; past maxReconsumeTimes it goes to the DLQ through a send-back.
import type { MessageExt, MessageQueue } from '../message.js';
import { MessageConst } from '../protocol.js';
import type { ConsumeHost, ConsumeService } from './consume-types.js';
import { callHandler, resetRetryTopic, sleep } from './consume-types.js';
import type { ProcessQueue } from './process-queue.js';

/** Retry the lock this often while a queue's lock is not held. */
export const LOCK_RETRY_MS = 3000;

export class ConsumeOrderlyService implements ConsumeService {
  private stopped = false;
  private active = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly host: ConsumeHost) {}

  submit(_msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue): void {
    if (pq.consuming || this.stopped) return;
    pq.consuming = true;
    this.active++;
    void this.loop(pq, mq).finally(() => {
      pq.consuming = false;
      this.active--;
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private async loop(pq: ProcessQueue, mq: MessageQueue): Promise<void> {
    const clustering = this.host.messageModel === 'CLUSTERING';
    while (!this.stopped && this.host.isRunning() && !pq.dropped) {
      if (clustering && (!pq.locked || pq.isLockExpired())) {
        if (!(await this.host.rebalance.lock(mq, pq))) {
          await sleep(LOCK_RETRY_MS);
          continue;
        }
      }
      const msgs = pq.takeMessages(1);
      if (msgs.length === 0) return;
      const msg = msgs[0]!;
      resetRetryTopic(msg, this.host.groupName);
      msg.properties[MessageConst.CONSUME_START_TIME] = String(Date.now());
      const r = await callHandler(this.host.handler(), msg, this.host.log);
      if (pq.dropped) {
        this.host.log.warn(`the message queue ${mq.topic}:${mq.brokerName}:${mq.queueId} was dropped while consuming`);
        return;
      }
      if (r.ok || (await this.tooManyRetriesSentToDlq(msg, mq))) {
        const offset = pq.commit();
        if (offset >= 0) this.host.offsetStore.updateOffset(mq, offset, false);
        continue;
      }
      msg.reconsumeTimes++;
      pq.makeMessagesToConsumeAgain(msgs);
      await sleep(this.host.suspendCurrentQueueTimeMs);
    }
  }

  /** True when the message has used up its retries and was handed to the broker for the DLQ. */
  private async tooManyRetriesSentToDlq(msg: MessageExt, mq: MessageQueue): Promise<boolean> {
    const max = this.host.maxReconsumeTimes;
    if (max < 0 || msg.reconsumeTimes < max) return false;
    msg.properties[MessageConst.RECONSUME_TIME] = String(msg.reconsumeTimes);
    return this.host.sendMessageBack(msg, -1, mq.brokerName);
  }

  async drain(timeoutMs: number): Promise<void> {
    if (this.active === 0) return;
    await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), sleep(timeoutMs)]);
  }

  shutdown(): void {
    this.stopped = true;
  }
}
