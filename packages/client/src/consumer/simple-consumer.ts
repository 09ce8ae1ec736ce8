// SimpleConsumer over the 5.x POP remoting codes: the broker hands each message to one consumer of
// the group and hides it for `invisibleMs`; ack it, or change its invisible time, before then, or it
// comes back (from %RETRY%<group>_<topic>, reconsumeTimes + 1). No rebalance: any number of
// consumers share every queue.
//
//   const c = new SimpleConsumer({ groupName: 'g', namesrvAddr: '127.0.0.1:9876' });
//   c.subscribe('Orders', 'TagA || TagB'); await c.start();
//   for await (const m of c) { handle(m); await c.ack(m); }

import { RemotingCommand } from '@rmq/remoting';
import { MQClientAPI } from '../instance/mq-client-api.js';
import { decodeMessages, type MessageExt } from '../message.js';
import { MQBrokerError, MQClientError } from '../errors.js';
import { createClientLogger, type ClientLogger } from '../logger.js';

const POP_MESSAGE = 200050;
const ACK_MESSAGE = 200051;
const CHANGE_MESSAGE_INVISIBLETIME = 200053;
const POLLING_FULL = 209;
const POLLING_TIMEOUT = 210;
const PULL_NOT_FOUND = 19;
const RETRY_PREFIX = '%RETRY%';

export interface SimpleConsumerOptions {
  groupName: string;
  namesrvAddr: string | string[];
  /** Long polling: how long one receive waits at a broker for messages, default 10000 ms. */
  awaitDurationMs?: number;
  /** Default invisible time of received messages, default 30000 ms. */
  invisibleMs?: number;
  /** 0: start from the first message of a queue the group never consumed; 1 (default): from its end. */
  initMode?: 0 | 1;
  requestTimeoutMs?: number;
  logger?: ClientLogger;
}

/** A received message: `topic` is the subscribed topic (also for redeliveries from the retry topic). */
export interface ReceivedMessage extends MessageExt {
  /** The topic the message was popped from (%RETRY%group_topic for a redelivery). */
  realTopic: string;
  /** The 5.x POP_CK / extraInfo: ack and changeInvisibleDuration name the message by it. */
  receiptHandle: string;
  /** Epoch ms when the message becomes visible again unless acked. */
  invisibleUntil: number;
}


const retryMark = (topic: string): string => (topic.startsWith(RETRY_PREFIX) ? (topic.includes('+') ? '2' : '1') : '0');

export class SimpleConsumer implements AsyncIterable<ReceivedMessage> {
  readonly groupName: string;
  private readonly api: MQClientAPI;
  private readonly subs = new Map<string, string>();
  private targets: Array<{ topic: string; brokerName: string; addr: string }> = [];
  private next = 0;
  private routeTimer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly abort = new AbortController();
  private readonly awaitMs: number;
  private readonly invisibleMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: SimpleConsumerOptions) {
    if (!opts.groupName) throw new MQClientError('groupName is required');
    this.groupName = opts.groupName;
    this.api = new MQClientAPI({ namesrvAddr: opts.namesrvAddr, logger: opts.logger ?? createClientLogger('simple-consumer') });
    this.awaitMs = opts.awaitDurationMs ?? 10_000;
    this.invisibleMs = opts.invisibleMs ?? 30_000;
    this.timeoutMs = opts.requestTimeoutMs ?? 3000;
  }

  /** Subscribes a topic with a TAG expression ("*", "a || b"). */
  subscribe(topic: string, expression = '*'): this {
    this.subs.set(topic, expression);
    return this;
  }

  async start(): Promise<void> {
    if (this.subs.size === 0) throw new MQClientError('subscribe at least one topic before start');
    this.running = true;
    await this.refreshRoutes();
    this.routeTimer = setInterval(() => void this.refreshRoutes().catch(() => undefined), 30_000);
    this.routeTimer.unref();
  }

  private async refreshRoutes(): Promise<void> {
    const out: Array<{ topic: string; brokerName: string; addr: string }> = [];
    for (const topic of this.subs.keys()) {
      const route = await this.api.getTopicRouteInfoFromNameServer(topic, this.timeoutMs);
      if (!route) continue;
      for (const b of route.brokerDatas) {
        const addr = b.brokerAddrs['0'];
        if (addr && route.queueDatas.some((q) => q.brokerName === b.brokerName && (q.perm & 4) !== 0)) out.push({ topic, brokerName: b.brokerName, addr });
      }
    }
    if (out.length === 0) throw new MQClientError(`no route for ${[...this.subs.keys()].join(', ')}`);
    this.targets = out;
  }

  /**
   * Up to `max` (1..32) messages, hidden from other consumers for `invisibleMs`. Waits up to
   * awaitDurationMs at one broker when none is there; [] when none came.
   */
  async receive(max = 16, invisibleMs = this.invisibleMs): Promise<ReceivedMessage[]> {
    if (!this.running) throw new MQClientError('SimpleConsumer is not running');
    if (this.targets.length === 0) await this.refreshRoutes();
    const target = this.targets[this.next++ % this.targets.length]!;
    const popTimeSent = Date.now();
    const fields: Record<string, string> = {
      consumerGroup: this.groupName, topic: target.topic, queueId: '-1', maxMsgNums: String(Math.max(1, Math.min(32, max))),
      invisibleTime: String(invisibleMs), pollTime: String(this.awaitMs), bornTime: String(popTimeSent),
      initMode: String(this.opts.initMode ?? 1), expType: 'TAG', exp: this.subs.get(target.topic) ?? '*', order: 'false',
    };
    const r = await this.api.invoke(target.addr, RemotingCommand.request(POP_MESSAGE, fields), this.awaitMs + this.timeoutMs, this.abort.signal);
    if (r.code === POLLING_TIMEOUT || r.code === POLLING_FULL || r.code === PULL_NOT_FOUND) return [];
    if (r.code !== 0) throw new MQBrokerError(r.code, r.remark, target.addr);
    const ext = r.extFields ?? {};
    const popTime = Number(ext['popTime'] ?? popTimeSent);
    const invisible = Number(ext['invisibleTime'] ?? invisibleMs);
    const reviveQid = String(ext['reviveQid'] ?? '0');
    const starts = new Map<string, string>();
    for (const part of String(ext['startOffsetInfo'] ?? '').split(';')) {
      const f = part.split(' ');
      if (f.length === 3) starts.set(`${f[0]}@${f[1]}`, f[2]!);
    }
    const body = r.body ? (Array.isArray(r.body) ? Buffer.concat(r.body) : r.body) : Buffer.alloc(0);
    const out: ReceivedMessage[] = [];
    for (const m of decodeMessages(body, target.brokerName)) {
      const mark = retryMark(m.topic);
      const ck = m.properties['POP_CK']
        ?? `${starts.get(`${mark}@${m.queueId}`) ?? m.queueOffset} ${popTime} ${invisible} ${reviveQid} ${mark} ${target.brokerName} ${m.queueId} ${m.queueOffset}`;
      const realTopic = m.topic;
      const rm = m as ReceivedMessage;
      rm.realTopic = realTopic;
      rm.topic = target.topic;
      rm.receiptHandle = ck;
      rm.invisibleUntil = popTime + invisible;
      out.push(rm);
    }
    return out;
  }

  private addrOf(m: ReceivedMessage): string {
    const t = this.targets.find((x) => x.brokerName === m.brokerName);
    if (!t) throw new MQClientError(`broker ${m.brokerName} of the message is not in the route any more`);
    return t.addr;
  }

  /** Acks a received message (idempotent at the broker). */
  async ack(m: ReceivedMessage): Promise<void> {
    const fields = { consumerGroup: this.groupName, topic: m.realTopic, queueId: String(m.queueId), extraInfo: m.receiptHandle, offset: String(m.queueOffset) };
    const r = await this.api.invoke(this.addrOf(m), RemotingCommand.request(ACK_MESSAGE, fields), this.timeoutMs);
    if (r.code !== 0) throw new MQBrokerError(r.code, r.remark, this.addrOf(m));
  }

  /** Hides the message for `ms` from now (instead of its remaining invisible time). */
  async changeInvisibleDuration(m: ReceivedMessage, ms: number): Promise<void> {
    const fields = {
      consumerGroup: this.groupName, topic: m.realTopic, queueId: String(m.queueId), extraInfo: m.receiptHandle,
      offset: String(m.queueOffset), invisibleTime: String(ms),
    };
    const r = await this.api.invoke(this.addrOf(m), RemotingCommand.request(CHANGE_MESSAGE_INVISIBLETIME, fields), this.timeoutMs);
    if (r.code !== 0) throw new MQBrokerError(r.code, r.remark, this.addrOf(m));
    const ext = r.extFields ?? {};
    const popTime = Number(ext['popTime']);
    const inv = Number(ext['invisibleTime']);
    // as the 5.x client rebuilds it: the message's own offset is the checkpoint's start
    m.receiptHandle = `${m.queueOffset} ${popTime} ${inv} ${ext['reviveQid'] ?? 0} ${retryMark(m.realTopic)} ${m.brokerName} ${m.queueId} ${m.queueOffset}`;
    m.invisibleUntil = popTime + inv;
  }

  /** Messages one by one until shutdown; each must still be acked. */
  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    while (this.running) {
      let batch: ReceivedMessage[];
      try {
        batch = await this.receive();
      } catch (e) {
        if (!this.running) return;
        throw e;
      }
      for (const m of batch) yield m;
    }
  }

  async shutdown(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.routeTimer) clearInterval(this.routeTimer);
    await this.api.close();
  }
}
