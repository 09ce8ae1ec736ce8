// Consumer load: N push consumers in one fresh group (so they start from the first offset) subscribed
// to every topic of the run. Each delivery is counted and, when verification is on, checked (crc,
// sequence, duplicates); in the "both" scenario the body's born time gives end-to-end latency.
import type { ClientModule, PerfMessageExt, PerfPushConsumer } from './client.js';
import { nowEpochMs } from './body.js';
import type { RunOptions } from './options.js';
import { topicNames } from './options.js';
import type { Stats } from './stats.js';
import type { Verifier } from './verify.js';

export class ConsumeLoad {
  private readonly consumers: PerfPushConsumer[] = [];
  recordE2e = false;

  constructor(private readonly client: ClientModule, private readonly o: RunOptions, private readonly stats: Stats,
              private readonly verifier: Verifier | null, private readonly tag: string) {}

  private handle = (msg: PerfMessageExt): void => {
    const s = this.stats;
    s.received++;
    s.receivedBytes += msg.body.length;
    if (this.verifier) {
      const born = this.verifier.receive(msg.body);
      if (born !== null && this.recordE2e) s.e2eLatency.recordMs(nowEpochMs() - born);
    }
  };

  async start(): Promise<void> {
    const topics = topicNames(this.o);
    for (let i = 0; i < this.o.consumers; i++) {
      const c = new this.client.PushConsumer({
        groupName: `perf_consumer_${this.tag}`, namesrvAddr: this.o.namesrv, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        consumeConcurrency: this.o.consumeConcurrency, instanceName: `perf-${this.tag}-c${i}`, messageModel: 'CLUSTERING',
        ...(this.o.pullBatch !== null ? { pullBatchSize: this.o.pullBatch } : {}),
        ...(this.o.serializeType !== null ? { serializeType: this.o.serializeType } : {}),
      });
      for (const t of topics) c.subscribe(t, '*');
      c.onMessage(this.handle);
      await c.start();
      this.consumers.push(c);
    }
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.shutdown()));
  }
}
