// The producer: `await producer.send(msg)` picks a queue (round robin, avoiding brokers that
// recently failed or were slow), sends SEND_MESSAGE_V2 and retries on another broker; plus oneway,
// batch, ordered (selector or sharding key) and request-reply sends.
import type { Message, MessageExt, MessageQueue } from '../message.js';
import { propertiesToString, uniqueIds } from '../message.js';
import { deflateSync } from 'node:zlib';
import { MessageConst, MessageSysFlag, MixAll, RequestCode } from '../protocol.js';
import { isSendRetriable, SendHeaderV2Template, SendHeaderV2Writer, type PendingCall, type RemotingCommand } from '@rmq/remoting';
import { MQAbortError, MQBrokerError, MQClientError, MQTimeoutError } from '../errors.js';
import type { ClientOptions, ProducerInner } from '../instance/mq-client-instance.js';
import { MQClientInstance } from '../instance/mq-client-instance.js';
import type { SendResult } from '../instance/mq-client-api.js';
import { wrapTransportError, type MQClientAPI } from '../instance/mq-client-api.js';
import type { SendMessageRequestHeader } from '@rmq/remoting';
import type { TopicPublishInfo } from '../instance/route.js';
import { FaultStrategy } from './fault-strategy.js';
import type { MessageQueueSelector } from './selectors.js';
import { selectByShardingKey } from './selectors.js';
import type { PreparedMessage, PrepareOptions } from './prepare.js';
import { prepareMessage, validateGroup } from './prepare.js';
import { prepareBatch } from './batch.js';
import { checkTransactionState, sendMessageInTransaction, type TransactionListener, type TransactionSendResult } from './transaction.js';
import { requestReply } from './request-reply.js';
import type { ProducerHost } from './producer-host.js';

export type { SendResult } from '../instance/mq-client-api.js';
export type { LocalTransactionState, TransactionListener, TransactionSendResult } from './transaction.js';
export { createReplyMessage } from './request-reply.js';

export interface ProducerOptions extends ClientOptions {
  groupName: string;
  sendMsgTimeoutMs?: number;
  /** Extra attempts after a failed send, each on another broker when there is one. Default 2. */
  retryTimesWhenSendFailed?: number;
  /** Also retry when the broker stored the message but answered FLUSH_DISK_TIMEOUT etc. */
  retryAnotherBrokerWhenNotStoreOK?: boolean;
  /** Bodies of at least this many bytes are zlib-compressed. Default 4096. */
  compressMsgBodyOverHowmuch?: number;
  compressLevel?: number;
  maxMessageSize?: number;
  /** Template topic for auto-created topics. Default TBW102. */
  createTopicKey?: string;
  defaultTopicQueueNums?: number;
  /** Avoid brokers that recently failed or answered slowly (a failure isolates the broker for 600 s). Default false, as in the Java client: a retry still avoids the broker that just failed. */
  sendLatencyFaultEnable?: boolean;
  /** Makes this a transaction producer (sendMessageInTransaction, answers to checks). */
  transactionListener?: TransactionListener;
}

export interface SendOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Ordered send: pick the queue yourself (called with `arg`). */
  selector?: MessageQueueSelector;
  arg?: unknown;
  /** Ordered send: same key -> same queue. */
  shardingKey?: string;
  /** Send to exactly this queue. */
  queue?: MessageQueue;
  /** Timer message (5.x): delivered at this time (TIMER_DELIVER_MS), up to the broker's timerMaxDelaySec. */
  deliverAt?: Date | number;
  /** Timer message (5.x): delivered this many ms after the broker stores it (TIMER_DELAY_MS). */
  delayMs?: number;
}

type State = 'CREATED' | 'RUNNING' | 'SHUTDOWN';

export interface SendRequest { topic: string; body: Buffer; sysFlag: number; flag: number; properties: Map<string, string>; batch: boolean; uniqMsgId: string }


export class Producer implements ProducerInner {
  readonly groupName: string;
  private readonly options: ProducerOptions;
  private instance: MQClientInstance | null = null;
  private state: State = 'CREATED';
  private readonly publishInfo = new Map<string, TopicPublishInfo>();
  readonly faultStrategy: FaultStrategy;
  private readonly internal: boolean;
  /** Pre-encoded constant pairs of the send header, per topic and broker name. */
  private readonly headerTemplates = new Map<string, Map<string, SendHeaderV2Template>>();
  private readonly prepareOptions: PrepareOptions;

  constructor(options: ProducerOptions, internal?: { instance: MQClientInstance }) {
    validateGroup(options.groupName);
    this.groupName = options.groupName;
    this.options = options;
    this.faultStrategy = new FaultStrategy(options.sendLatencyFaultEnable ?? false);
    this.prepareOptions = {
      maxMessageSize: options.maxMessageSize ?? 4 * 1024 * 1024,
      compressOverBytes: options.compressMsgBodyOverHowmuch ?? 4096,
      compressLevel: options.compressLevel ?? 5,
      uniqKey: true,
    };
    this.internal = internal !== undefined;
    if (internal) {
      this.instance = internal.instance;
      this.state = 'RUNNING';
    }
  }

  private get sendTimeoutMs(): number { return this.options.sendMsgTimeoutMs ?? 3000; }
  private get defaultTopic(): string { return this.options.createTopicKey ?? MixAll.DEFAULT_TOPIC; }
  private get defaultTopicQueueNums(): number { return this.options.defaultTopicQueueNums ?? MixAll.DEFAULT_TOPIC_QUEUE_NUMS; }
  private get maxMessageSize(): number { return this.options.maxMessageSize ?? 4 * 1024 * 1024; }

  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  async start(): Promise<void> {
    if (this.state === 'RUNNING') return;
    if (this.state === 'SHUTDOWN') throw new MQClientError('The producer service state is SHUTDOWN; create a new Producer');
    if (this.groupName === MixAll.CLIENT_INNER_PRODUCER_GROUP && !this.internal) {
      throw new MQClientError(`producer group ${MixAll.CLIENT_INNER_PRODUCER_GROUP} is reserved`);
    }
    const inst = MQClientInstance.getOrCreate(this.options);
    inst.registerProducer(this);
    this.instance = inst;
    inst.start();
    this.state = 'RUNNING';
    await inst.sendHeartbeatToAllBrokers();
  }

  async shutdown(): Promise<void> {
    if (this.state !== 'RUNNING') { this.state = 'SHUTDOWN'; return; }
    this.state = 'SHUTDOWN';
    if (!this.internal) await this.instance?.unregisterProducer(this.groupName);
  }

  // ---- ProducerInner ---------------------------------------------------------------------------

  publishTopics(): Iterable<string> {
    return this.publishInfo.keys();
  }

  updateTopicPublishInfo(topic: string, info: TopicPublishInfo): void {
    if (this.publishInfo.has(topic)) this.publishInfo.set(topic, info);
  }

  // ---- routing ---------------------------------------------------------------------------------

  private inst(): MQClientInstance {
    if (this.state !== 'RUNNING' || !this.instance) throw new MQClientError(`The producer service state not OK, ${this.state}`);
    return this.instance;
  }

  /** The topic's writable queues: its own route, else the auto-create template's. */
  async findTopicPublishInfo(topic: string): Promise<TopicPublishInfo> {
    const inst = this.inst();
    let info = this.publishInfo.get(topic);
    if (!info || info.queues.length === 0) {
      this.publishInfo.set(topic, info ?? { orderTopic: false, queues: [], route: { queueDatas: [], brokerDatas: [] } });
      await inst.updateTopicRouteInfoFromNameServer(topic);
      info = this.publishInfo.get(topic);
    }
    if (!info || info.queues.length === 0) {
      await inst.updateTopicRouteInfoFromNameServer(topic, {
        topic: this.options.createTopicKey ?? MixAll.DEFAULT_TOPIC, queueNums: this.options.defaultTopicQueueNums ?? MixAll.DEFAULT_TOPIC_QUEUE_NUMS,
      });
      info = this.publishInfo.get(topic);
    }
    if (!info || info.queues.length === 0) {
      throw new MQClientError(`No route info of this topic: ${topic}, name servers ${inst.api.nameServerAddressList().join(';')}`);
    }
    return info;
  }

  /** The queues a selector chooses from (fetches the route when unknown). */
  async fetchPublishMessageQueues(topic: string): Promise<MessageQueue[]> {
    return [...(await this.findTopicPublishInfo(topic)).queues];
  }

  /** The broker's address: synchronous when the route is known (the common case), else a route update first. */
  private brokerAddr(mq: MessageQueue): string | Promise<string> {
    const addr = this.inst().findBrokerAddressInPublish(mq.brokerName);
    return addr ? addr : this.brokerAddrSlow(mq);
  }

  private async brokerAddrSlow(mq: MessageQueue): Promise<string> {
    const inst = this.inst();
    let addr = inst.findBrokerAddressInPublish(mq.brokerName);
    if (!addr) {
      await inst.updateTopicRouteInfoFromNameServer(mq.topic);
      addr = inst.findBrokerAddressInPublish(mq.brokerName);
    }
    if (!addr) throw new MQClientError(`The broker[${mq.brokerName}] not exist`);
    return addr;
  }

  // ---- sending ---------------------------------------------------------------------------------

  private prepare(msg: Message): PreparedMessage {
    return prepareMessage(msg, this.prepareOptions);
  }

  private header(p: { topic: string; sysFlag: number; flag: number; properties: Map<string, string>; batch: boolean }, mq: MessageQueue): SendMessageRequestHeader {
    let props = p.properties;
    let reconsumeTimes = 0;
    let maxReconsumeTimes: number | undefined;
    const sysFlag = sendSysFlag(p);
    if (p.topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) {
      // A resend to %RETRY%group carries the counters in the header, not in the properties.
      props = new Map(props);
      const rt = props.get(MessageConst.RECONSUME_TIME);
      if (rt !== undefined) { reconsumeTimes = Number(rt); props.delete(MessageConst.RECONSUME_TIME); }
      const mrt = props.get(MessageConst.MAX_RECONSUME_TIMES);
      if (mrt !== undefined) { maxReconsumeTimes = Number(mrt); props.delete(MessageConst.MAX_RECONSUME_TIMES); }
    }
    const h: SendMessageRequestHeader = {
      producerGroup: this.groupName,
      topic: p.topic,
      defaultTopic: this.defaultTopic,
      defaultTopicQueueNums: this.defaultTopicQueueNums,
      queueId: mq.queueId,
      sysFlag,
      bornTimestamp: Date.now(),
      flag: p.flag,
      properties: propertiesToString(props),
      reconsumeTimes,
      unitMode: false,
      batch: p.batch,
      maxReconsumeTimes,
      brokerName: mq.brokerName,
    };
    return h;
  }

  private headerTemplate(topic: string, brokerName: string): SendHeaderV2Template {
    let byBroker = this.headerTemplates.get(topic);
    if (byBroker === undefined) { byBroker = new Map(); this.headerTemplates.set(topic, byBroker); }
    let t = byBroker.get(brokerName);
    if (t === undefined) {
      t = new SendHeaderV2Template(this.groupName, topic, this.defaultTopic, this.defaultTopicQueueNums, brokerName);
      byBroker.set(brokerName, t);
    }
    return t;
  }

  private requestCode(p: { properties: Map<string, string>; batch: boolean }): number {
    if (p.batch) return RequestCode.SEND_BATCH_MESSAGE;
    if (p.properties.get(MessageConst.MESSAGE_TYPE) === MixAll.REPLY_MESSAGE_FLAG) return RequestCode.SEND_REPLY_MESSAGE_V2;
    return RequestCode.SEND_MESSAGE_V2;
  }

  /**
   * The retry loop shared by send and sendBatch: up to 1 + retryTimesWhenSendFailed attempts
   * within the timeout, each on the next queue, skipping the broker that just failed.
   * The first attempt on a known route and broker runs without the async loop (one promise
   * chain); a failure continues in the loop exactly where the loop itself would have.
   */
  private sendWithRetries(p: SendRequest, opts: SendOptions | undefined): Promise<SendResult> {
    const info = this.state === 'RUNNING' ? this.publishInfo.get(p.topic) : undefined;
    if (info === undefined || info.queues.length === 0 || opts?.signal !== undefined) return this.sendLoop(p, opts, null);
    const begin = Date.now();
    const timeoutMs = opts?.timeoutMs ?? this.sendTimeoutMs;
    if (timeoutMs <= 0) return this.sendLoop(p, opts, null);
    const inst = this.instance!;
    const mq = this.faultStrategy.selectOneMessageQueue(info.queues, undefined);
    const addr = inst.findBrokerAddressInPublish(mq.brokerName);
    if (!addr) return this.sendLoop(p, opts, null);
    const timesTotal = 1 + (this.options.retryTimesWhenSendFailed ?? 2);
    // An open connection without an RPC hook takes the request straight: one SendCall object and the
    // promise returned, instead of a promise chain per layer (invoke, transport-error mapping, reply parse).
    // The header is written from the call itself (SendHeaderV2Writer): no header object, ext map or
    // properties string per send. Resends to a retry topic move properties into the header: map path.
    const conn = inst.api.remoting.rpcHook === undefined ? inst.api.remoting.connection(addr) : undefined;
    if (conn !== undefined && !p.topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) {
      const call = new SendCall(this.headerTemplate(p.topic, mq.brokerName), mq.queueId, sendSysFlag(p), Date.now(), p.flag, p.properties, p.batch,
        this, inst.api, p, opts, info, mq, addr, begin, timesTotal);
      const promise = new Promise<SendResult>(captureSettlers);
      call.done = capturedResolve;
      call.fail = capturedReject;
      conn.invokeWith(inst.api.sendCommandWith(this.requestCode(p), call, p.body), timeoutMs, call);
      return promise;
    }
    return inst.api.sendMessage(addr, this.header(p, mq), p.body, {
      timeoutMs, code: this.requestCode(p), uniqMsgId: p.uniqMsgId,
    }).then((r) => this.firstAttemptDone(p, opts, info, mq, begin, timesTotal, r),
      (e: unknown) => this.firstAttemptFailed(p, opts, info, mq, begin, timesTotal, e));
  }

  /** @internal The first attempt's answer: retry elsewhere on a not-stored status if asked to. */
  firstAttemptDone(p: SendRequest, opts: SendOptions | undefined, info: TopicPublishInfo, mq: MessageQueue, begin: number,
    timesTotal: number, r: SendResult): SendResult | Promise<SendResult> {
    this.faultStrategy.updateFaultItem(mq.brokerName, Date.now() - begin, false);
    if (r.status !== 'SEND_OK' && this.options.retryAnotherBrokerWhenNotStoreOK && 1 < timesTotal) {
      return this.sendLoop(p, opts, { begin, info, times: 1, lastBrokerName: mq.brokerName, lastErr: undefined });
    }
    return r;
  }

  /** @internal The first attempt failed: continue in the retry loop, or throw what is not retriable. */
  firstAttemptFailed(p: SendRequest, opts: SendOptions | undefined, info: TopicPublishInfo, mq: MessageQueue, begin: number,
    timesTotal: number, e: unknown): Promise<SendResult> {
    if (e instanceof MQAbortError) throw e;
    this.faultStrategy.updateFaultItem(mq.brokerName, Date.now() - begin, true);
    if (e instanceof MQBrokerError && !isSendRetriable(e.responseCode)) throw e;
    this.instance?.log.debug(`send to ${mq.brokerName} failed (${(e as Error).message}), 1/${timesTotal}`);
    return this.sendLoop(p, opts, { begin, info, times: 1, lastBrokerName: mq.brokerName, lastErr: e });
  }

  /** @internal */
  async sendLoop(p: SendRequest, opts: SendOptions | undefined,
    from: { begin: number; info: TopicPublishInfo; times: number; lastBrokerName: string | undefined; lastErr: unknown } | null): Promise<SendResult> {
    const begin = from?.begin ?? Date.now();
    const timeoutMs = opts?.timeoutMs ?? this.sendTimeoutMs;
    const info = from?.info ?? await this.findTopicPublishInfo(p.topic);
    const timesTotal = 1 + (this.options.retryTimesWhenSendFailed ?? 2);
    let lastBrokerName: string | undefined = from?.lastBrokerName;
    let lastErr: unknown = from?.lastErr;
    for (let times = from?.times ?? 0; times < timesTotal; times++) {
      if (opts?.signal?.aborted) throw new MQAbortError('send aborted', { cause: opts.signal.reason });
      const remaining = timeoutMs - (Date.now() - begin);
      if (remaining <= 0) break;
      const current = this.publishInfo.get(p.topic) ?? info;
      const mq = this.faultStrategy.selectOneMessageQueue(current.queues.length > 0 ? current.queues : info.queues, lastBrokerName);
      lastBrokerName = mq.brokerName;
      const start = Date.now();
      try {
        const a = this.brokerAddr(mq);
        const addr = typeof a === 'string' ? a : await a;
        const r = await this.inst().api.sendMessage(addr, this.header(p, mq), p.body, {
          timeoutMs: remaining, code: this.requestCode(p), uniqMsgId: p.uniqMsgId, signal: opts?.signal,
        });
        this.faultStrategy.updateFaultItem(mq.brokerName, Date.now() - start, false);
        if (r.status !== 'SEND_OK' && this.options.retryAnotherBrokerWhenNotStoreOK && times + 1 < timesTotal) { lastErr = undefined; continue; }
        return r;
      } catch (e) {
        if (e instanceof MQAbortError) throw e;
        this.faultStrategy.updateFaultItem(mq.brokerName, Date.now() - start, true);
        lastErr = e;
        if (e instanceof MQBrokerError && !isSendRetriable(e.responseCode)) throw e;
        this.instance?.log.debug(`send to ${mq.brokerName} failed (${(e as Error).message}), ${times + 1}/${timesTotal}`);
      }
    }
    if (lastErr instanceof Error) {
      if (Date.now() - begin >= timeoutMs && !(lastErr instanceof MQTimeoutError)) {
        throw new MQTimeoutError(`sendDefaultImpl call timeout after ${timeoutMs} ms: ${lastErr.message}`, { cause: lastErr });
      }
      throw lastErr;
    }
    throw new MQTimeoutError(`sendDefaultImpl call timeout after ${timeoutMs} ms`);
  }

  /** Sends one message and waits for the broker's answer. Throws MQBrokerError / MQTimeoutError. */
  send(msg: Message, opts?: SendOptions): Promise<SendResult> {
    // Not async: returning sendWithRetries' promise from an async function would cost extra
    // promise-resolution jobs per send; errors before the first await still come back as a rejection.
    try {
      // the prepared message is the send request itself (topic, body, flags, properties, UNIQ_KEY, batch false)
      const req: SendRequest = this.prepare(msg);
      if (opts !== undefined) {
        if (opts.shardingKey !== undefined) req.properties.set(MessageConst.SHARDING_KEY, opts.shardingKey);
        if (opts.deliverAt !== undefined) req.properties.set('TIMER_DELIVER_MS', String(Math.floor(Number(opts.deliverAt))));
        else if (opts.delayMs !== undefined) req.properties.set('TIMER_DELAY_MS', String(Math.max(0, Math.floor(opts.delayMs))));
        if (opts.selector || opts.shardingKey !== undefined || opts.queue) return this.sendToSelectedQueue(msg, req, opts);
      }
      return this.sendWithRetries(req, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Internal: sends a message whose properties are final already (consumer send-back fallback). */
  async sendWithProperties(topic: string, rawBody: Buffer, flag: number, properties: Map<string, string>): Promise<SendResult> {
    let uniqMsgId = properties.get(MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (!uniqMsgId) { uniqMsgId = uniqueIds.next(); properties.set(MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniqMsgId); }
    let body = rawBody;
    let sysFlag = 0;
    if (rawBody.length >= (this.options.compressMsgBodyOverHowmuch ?? 4096)) {
      body = deflateSync(rawBody, { level: this.options.compressLevel ?? 5 });
      sysFlag = MessageSysFlag.COMPRESSED | MessageSysFlag.COMPRESSION_ZLIB;
    }
    return this.sendWithRetries({ topic, body, sysFlag, flag, properties, batch: false, uniqMsgId }, undefined);
  }

  /** Callback form: the send runs in the background and reports once. */
  sendAsync(msg: Message, callback: (err: Error | null, result?: SendResult) => void, opts?: SendOptions): void {
    this.send(msg, opts).then((r) => callback(null, r), (e: Error) => callback(e));
  }

  /** Ordered sends: one attempt on the chosen queue (retrying elsewhere would break the order). */
  private async sendToSelectedQueue(msg: Message, p: { topic: string; body: Buffer; sysFlag: number; flag: number; properties: Map<string, string>; batch: boolean; uniqMsgId: string },
    opts: SendOptions): Promise<SendResult> {
    const queues = await this.fetchPublishMessageQueues(p.topic);
    let mq: MessageQueue;
    if (opts.queue) mq = opts.queue;
    else if (opts.selector) mq = opts.selector(queues, msg, opts.arg);
    else mq = selectByShardingKey(queues, msg, opts.shardingKey);
    if (!mq) throw new MQClientError('select message queue returned null');
    const addr = await this.brokerAddr(mq);
    return this.inst().api.sendMessage(addr, this.header(p, mq), p.body, {
      timeoutMs: opts.timeoutMs ?? this.sendTimeoutMs, code: this.requestCode(p), uniqMsgId: p.uniqMsgId,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Fire and forget: no reply is awaited and there is no retry. */
  async sendOneway(msg: Message, opts?: Pick<SendOptions, 'selector' | 'arg' | 'shardingKey' | 'queue'>): Promise<void> {
    const p = this.prepare(msg);
    let mq: MessageQueue;
    if (opts?.queue || opts?.selector || opts?.shardingKey !== undefined) {
      const queues = await this.fetchPublishMessageQueues(p.topic);
      mq = opts.queue ?? (opts.selector ? opts.selector(queues, msg, opts.arg) : selectByShardingKey(queues, msg, opts.shardingKey));
    } else {
      const known = this.state === 'RUNNING' ? this.publishInfo.get(p.topic) : undefined;
      const info = known !== undefined && known.queues.length > 0 ? known : await this.findTopicPublishInfo(p.topic);
      mq = this.faultStrategy.selectOneMessageQueue(info.queues);
    }
    const a = this.brokerAddr(mq);
    const addr = typeof a === 'string' ? a : await a;
    const req = { topic: p.topic, sysFlag: p.sysFlag, flag: p.flag, properties: p.properties, batch: false };
    await this.inst().api.sendMessageOneway(addr, this.header(req, mq), p.body, this.requestCode(req));
  }

  /** SEND_BATCH_MESSAGE: messages of one topic stored together, in order, on one queue. */
  sendBatch(msgs: Message[], opts?: SendOptions): Promise<SendResult> {
    try {
      const b = prepareBatch(msgs, this.maxMessageSize);
      const p = { topic: b.topic, body: b.body, sysFlag: 0, flag: 0, properties: b.properties, batch: true, uniqMsgId: b.uniqKeys.join(',') };
      if (opts?.selector || opts?.shardingKey !== undefined || opts?.queue) return this.sendToSelectedQueue(msgs[0]!, p, opts);
      return this.sendWithRetries(p, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- transactions ------------------------------------------------------------------------------

  /**
   * Two-phase send: the message is stored as a half message (TRAN_MSG, sysFlag 4), the listener's
   * local transaction runs, and END_TRANSACTION commits (8) or rolls back (12) or leaves it to a
   * later CHECK_TRANSACTION_STATE (0, UNKNOW). See transaction.ts.
   */
  sendMessageInTransaction(msg: Message, arg?: unknown, opts?: Pick<SendOptions, 'signal' | 'timeoutMs'>): Promise<TransactionSendResult> {
    return sendMessageInTransaction(this.host(), msg, arg, opts);
  }

  /** CHECK_TRANSACTION_STATE from a broker: ask the listener, answer with END_TRANSACTION. */
  checkTransactionState(brokerAddr: string, msg: MessageExt, header: Record<string, string>): void {
    checkTransactionState(this.host(), brokerAddr, msg, header);
  }

  /**
   * Request-reply: sends the message with CORRELATION_ID / REPLY_TO_CLIENT / TTL and waits for
   * the reply the responder sends (the broker pushes it with PUSH_REPLY_MESSAGE_TO_CLIENT). See
   * request-reply.ts.
   */
  request(msg: Message, timeoutMs = this.sendTimeoutMs, opts?: Omit<SendOptions, 'timeoutMs'>): Promise<MessageExt> {
    return requestReply(this.host(), msg, timeoutMs, opts);
  }

  /** What transaction.ts and request-reply.ts use of this producer. */
  private hostCache: ProducerHost | null = null;
  private host(): ProducerHost {
    if (this.hostCache === null) {
      this.hostCache = {
        groupName: this.groupName,
        transactionListener: () => this.options.transactionListener,
        prepare: (m) => this.prepare(m),
        sendPrepared: (p, o) => this.sendWithRetries(p, o),
        send: (m, o) => this.send(m, o),
        brokerAddr: (mq) => this.brokerAddr(mq),
        instance: () => this.inst(),
        findTopicPublishInfo: (t) => this.findTopicPublishInfo(t),
        warn: (text) => this.instance?.log.warn(text),
      };
    }
    return this.hostCache;
  }
}

/** The header's sysFlag: the message's, plus the prepared-transaction bit its properties ask for. */
function sendSysFlag(p: { sysFlag: number; properties: Map<string, string> }): number {
  return p.properties.get(MessageConst.TRANSACTION_PREPARED) === 'true' ? p.sysFlag | MessageSysFlag.TRANSACTION_PREPARED : p.sysFlag;
}

// The settling functions of the promise being made: one shared executor instead of a closure per send.
let capturedResolve: (r: SendResult | Promise<SendResult>) => void = noop;
let capturedReject: (e: unknown) => void = noop;
function captureSettlers(resolve: (r: SendResult | Promise<SendResult>) => void, reject: (e: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * One send's first attempt on an open connection: its header writer (the request's ext fields) and
 * the connection's PendingCall in one object. The reply is parsed here and settles the promise
 * send() returned; a failure goes on into the retry loop.
 */
class SendCall extends SendHeaderV2Writer implements PendingCall {
  deadline = 0;
  code = 0;
  timeoutMs = 0;
  done: (r: SendResult | Promise<SendResult>) => void = noop;
  fail: (e: unknown) => void = noop;

  constructor(template: SendHeaderV2Template, queueId: number, sysFlag: number, bornTimestamp: number, flag: number,
    properties: Map<string, string>, batch: boolean,
    private readonly producer: Producer, private readonly api: MQClientAPI, private readonly p: SendRequest, private readonly opts: SendOptions | undefined,
    private readonly info: TopicPublishInfo, private readonly mq: MessageQueue,
    private readonly addr: string, private readonly begin: number, private readonly timesTotal: number) {
    super(template, queueId, sysFlag, bornTimestamp, flag, properties, 0, batch, undefined);
  }

  resolve(cmd: RemotingCommand): void {
    let r: SendResult;
    try {
      r = this.api.sendResult(cmd, this.addr, this.template.topic, this.mq.brokerName, this.queueId, this.p.uniqMsgId);
    } catch (e) {
      this.failed(e);
      return;
    }
    try {
      this.done(this.producer.firstAttemptDone(this.p, this.opts, this.info, this.mq, this.begin, this.timesTotal, r));
    } catch (e) {
      this.fail(e);
    }
  }

  /** The connection's answer: timeout or connection closed. */
  reject(err: Error): void {
    this.failed(wrapTransportError(err, this.addr));
  }

  private failed(e: unknown): void {
    try {
      this.done(this.producer.firstAttemptFailed(this.p, this.opts, this.info, this.mq, this.begin, this.timesTotal, e));
    } catch (x) {
      this.fail(x);
    }
  }
}

function noop(): void {}
