// Bridges handler-style consumption to `for await (const msg of consumer)`: each handler call
// waits until the loop asks for the next message, so a message counts as consumed once the loop
// body that received it finished (or the loop ended).
import type { MessageExt } from '../message.js';
import type { ConsumeResult } from './consume-types.js';

interface Item { msg: MessageExt; done: (r: ConsumeResult) => void }

export class MessageChannel {
  private readonly items: Item[] = [];
  private readonly waiters: Array<(r: IteratorResult<MessageExt>) => void> = [];
  private current: Item | null = null;
  private closed = false;

  handler = (msg: MessageExt): Promise<ConsumeResult> => {
    if (this.closed) return Promise.resolve('RECONSUME_LATER');
    return new Promise<ConsumeResult>((done) => {
      const item = { msg, done };
      const w = this.waiters.shift();
      if (w) { this.current = item; w({ value: msg, done: false }); } else this.items.push(item);
    });
  };

  private ackCurrent(r: ConsumeResult): void {
    const c = this.current;
    this.current = null;
    c?.done(r);
  }

  next(): Promise<IteratorResult<MessageExt>> {
    this.ackCurrent(undefined);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    const item = this.items.shift();
    if (item) {
      this.current = item;
      return Promise.resolve({ value: item.msg, done: false });
    }
    return new Promise((r) => this.waiters.push(r));
  }

  /** Ends iteration: the message in hand counts as consumed, queued ones are redelivered later. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ackCurrent(undefined);
    for (const it of this.items.splice(0)) it.done('RECONSUME_LATER');
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  iterator(onReturn: () => void): AsyncIterableIterator<MessageExt> {
    const self = this;
    return {
      next: () => self.next(),
      return: async () => { self.close(); onReturn(); return { value: undefined, done: true }; },
      [Symbol.asyncIterator]() { return this; },
    };
  }
}
