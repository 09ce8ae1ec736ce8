// One method per request code the client sends (MQClientAPIImpl in the Java client), over one
// RemotingClient. Replies are turned into typed results or MQBrokerError with the remote code;
// transport failures into MQTimeoutError / MQConnectError. Name-server calls fail over down the list.
import {
  RemotingClient, RemotingCommand, RemotingError, RemotingErrorCode, decodeOffsetResponseHeader, decodePullMessageResponseHeader,
  sendResponseHeaderOf, encodeConsumerSendMsgBackRequestHeader, encodeEndTransactionRequestHeader,
  encodeGetConsumerListByGroupRequestHeader, encodePullMessageRequestHeader, encodeQueryConsumerOffsetRequestHeader,
  encodeQueueOffsetRequestHeader, encodeSendMessageRequestHeaderV2, encodeUpdateConsumerOffsetRequestHeader,
} from '@rmq/remoting';
import type {
  ClientRPCHook, EndTransactionRequestHeader, ExtWriter, Processor, PullMessageRequestHeader, SendMessageRequestHeader,
} from '@rmq/remoting';
import type { MessageExt, MessageQueue } from '../message.js';
import { decodeMessages } from '../message.js';
import { CLIENT_VERSION, RequestCode, ResponseCode } from '../protocol.js';
import { MQAbortError, MQBrokerError, MQClientError, MQConnectError, MQTimeoutError, TopicRouteError } from '../errors.js';
import type { ClientLogger } from '../logger.js';
import type { TopicRouteData } from './route.js';
import { normalizeRoute } from './route.js';
import { messageQueueOf, parseBody } from './json.js';

export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface SendResult {
  status: SendStatus;
  /** The client-made unique id (UNIQ_KEY); comma-joined for a batch. */
  msgId: string;
  /** The broker's offset message id(s), comma-joined for a batch. */
  offsetMsgId: string;
  queue: MessageQueue;
  queueOffset: number;
  transactionId?: string;
  regionId?: string;
  traceOn?: boolean;
}

export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

export interface PullResult {
  status: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  suggestWhichBrokerId: number;
  messages: MessageExt[];
}

export type ServerRequestHandler = Processor;

// Reply code -> status of a send and of a pull; any other code is an MQBrokerError.
const SEND_STATUS: Readonly<Record<number, SendStatus>> = {
  [ResponseCode.SUCCESS]: 'SEND_OK', [ResponseCode.FLUSH_DISK_TIMEOUT]: 'FLUSH_DISK_TIMEOUT',
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: 'FLUSH_SLAVE_TIMEOUT', [ResponseCode.SLAVE_NOT_AVAILABLE]: 'SLAVE_NOT_AVAILABLE',
};
const PULL_STATUS: Readonly<Record<number, PullStatus>> = {
  [ResponseCode.SUCCESS]: 'FOUND', [ResponseCode.PULL_NOT_FOUND]: 'NO_NEW_MSG',
  [ResponseCode.PULL_RETRY_IMMEDIATELY]: 'NO_MATCHED_MSG', [ResponseCode.PULL_OFFSET_MOVED]: 'OFFSET_ILLEGAL',
};

function bodyOf(cmd: RemotingCommand): Buffer | null {
  const b = cmd.body;
  if (b === null || b === undefined) return null;
  return Array.isArray(b) ? Buffer.concat(b) : b;
}

export function wrapTransportError(e: unknown, addr: string): Error {
  if (e instanceof MQClientError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof RemotingError && e.code === RemotingErrorCode.TIMEOUT) return new MQTimeoutError(`request to ${addr} timed out: ${msg}`, { cause: e });
  return new MQConnectError(`request to ${addr} failed: ${msg}`, { cause: e });
}

export interface ApiOptions {
  namesrvAddr: string | string[];
  logger: ClientLogger;
  connectTimeoutMs?: number;
  /** Runs on every request before it is sent (ACL signing). */
  rpcHook?: ClientRPCHook;
  /** Request headers: 'json' (default here) or 'rocketmq' (binary, JSON fallback per address). */
  serializeType?: 'json' | 'rocketmq';
}

export class MQClientAPI {
  readonly remoting: RemotingClient;
  private namesrvAddrs: string[] = [];
  private namesrvIndex = 0;
  private readonly log: ClientLogger;

  constructor(opts: ApiOptions) {
    this.log = opts.logger;
    this.remoting = new RemotingClient({ connectTimeoutMs: opts.connectTimeoutMs ?? 3000, logger: opts.logger, name: 'mq-client', rpcHook: opts.rpcHook, serializeType: opts.serializeType });
    this.updateNameServerAddressList(opts.namesrvAddr);
  }

  updateNameServerAddressList(addrs: string | string[]): void {
    const list = (Array.isArray(addrs) ? addrs : addrs.split(';')).map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new MQClientError('no name server address given (namesrvAddr)');
    this.namesrvAddrs = list;
    this.namesrvIndex = Math.floor(Math.random() * list.length);
  }

  nameServerAddressList(): readonly string[] {
    return this.namesrvAddrs;
  }

  registerProcessor(code: number, p: ServerRequestHandler): void {
    this.remoting.registerProcessor(code, p);
  }

  private request(code: number, fields: Record<string, string> | null, body?: Buffer | null): RemotingCommand {
    const cmd = RemotingCommand.request(code, fields, body ?? null);
    cmd.version = CLIENT_VERSION;
    return cmd;
  }

  /** invoke with transport errors mapped and an optional AbortSignal. */
  invoke(addr: string, cmd: RemotingCommand, timeoutMs: number, signal?: AbortSignal): Promise<RemotingCommand> {
    if (signal?.aborted) return Promise.reject(new MQAbortError('aborted', { cause: signal.reason }));
    // An open connection takes the request directly (one async layer fewer than RemotingClient.invoke);
    // with an RPC hook (ACL signing) RemotingClient.invoke runs it first.
    const conn = this.remoting.rpcHook === undefined ? this.remoting.connection(addr) : undefined;
    const raw = conn !== undefined ? conn.invoke(cmd, timeoutMs) : this.remoting.invoke(addr, cmd, timeoutMs);
    const p = raw.then(undefined, (e: unknown) => { throw wrapTransportError(e, addr); });
    if (!signal) return p;
    return new Promise<RemotingCommand>((resolve, reject) => {
      const onAbort = () => reject(new MQAbortError('aborted', { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (r) => { signal.removeEventListener('abort', onAbort); resolve(r); },
        (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
      );
    });
  }

  async invokeOneway(addr: string, cmd: RemotingCommand): Promise<void> {
    cmd.markOneway();
    const conn = this.remoting.rpcHook === undefined ? this.remoting.connection(addr) : undefined;
    if (conn !== undefined) { conn.invokeOneway(cmd); return; }
    try {
      await this.remoting.invokeOneway(addr, cmd);
    } catch (e) {
      throw wrapTransportError(e, addr);
    }
  }

  /** Tries each name server once, starting with the one that answered last. */
  private async invokeNamesrv(cmd: () => RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    let lastErr: unknown;
    const n = this.namesrvAddrs.length;
    for (let k = 0; k < n; k++) {
      const i = (this.namesrvIndex + k) % n;
      const addr = this.namesrvAddrs[i]!;
      try {
        const r = await this.invoke(addr, cmd(), timeoutMs);
        this.namesrvIndex = i;
        return r;
      } catch (e) {
        lastErr = e;
        this.log.warn(`name server ${addr} failed: ${(e as Error).message}`);
      }
    }
    throw lastErr instanceof Error ? lastErr : new MQConnectError('no name server reachable');
  }

  // ---- name server -------------------------------------------------------------------------------

  /** GET_ROUTEINFO_BY_TOPIC (105). null when the topic does not exist (17). */
  async getTopicRouteInfoFromNameServer(topic: string, timeoutMs: number): Promise<TopicRouteData | null> {
    const r = await this.invokeNamesrv(() => this.request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), timeoutMs);
    if (r.code === ResponseCode.TOPIC_NOT_EXIST) return null;
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark);
    const body = bodyOf(r);
    if (!body) throw new TopicRouteError(`empty route body for ${topic}`);
    return normalizeRoute(parseBody(body));
  }

  // ---- producer ----------------------------------------------------------------------------------

  /** A SEND reply as a SendResult; MQBrokerError for a code that is not a stored status. */
  parseSendResponse(r: RemotingCommand, addr: string, h: SendMessageRequestHeader, uniqMsgId: string): SendResult {
    return this.sendResult(r, addr, h.topic, h.brokerName ?? '', h.queueId, uniqMsgId);
  }

  /** parseSendResponse from the request's topic, broker name and queue id. */
  sendResult(r: RemotingCommand, addr: string, topic: string, brokerName: string, queueId: number, uniqMsgId: string): SendResult {
    const status = SEND_STATUS[r.code];
    if (status === undefined) throw new MQBrokerError(r.code, r.remark, addr);
    const rh = sendResponseHeaderOf(r, queueId);
    const res: SendResult = {
      status,
      msgId: uniqMsgId,
      offsetMsgId: rh.msgId,
      queue: { topic, brokerName, queueId: rh.queueId },
      queueOffset: rh.queueOffset,
    };
    if (rh.transactionId !== undefined) res.transactionId = rh.transactionId;
    if (rh.regionId !== undefined) res.regionId = rh.regionId;
    if (rh.traceOn !== undefined) res.traceOn = rh.traceOn;
    return res;
  }

  /**
   * The SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE / SEND_REPLY_MESSAGE_V2 command: the header fields are
   * strings already, so they go in as they are (RemotingCommand.request would copy them); the bytes
   * on the wire are the same (send-wire test compares them).
   */
  sendCommand(code: number, h: SendMessageRequestHeader, body: Buffer): RemotingCommand {
    const cmd = new RemotingCommand(code);
    cmd.version = CLIENT_VERSION;
    cmd.extFields = encodeSendMessageRequestHeaderV2(h);
    cmd.body = body;
    return cmd;
  }

  /** sendCommand with the header written by `writer` (no ext map): the same bytes on the wire. */
  sendCommandWith(code: number, writer: ExtWriter, body: Buffer): RemotingCommand {
    const cmd = new RemotingCommand(code);
    cmd.version = CLIENT_VERSION;
    cmd.extWriter = writer;
    cmd.body = body;
    return cmd;
  }

  /** SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) or SEND_REPLY_MESSAGE_V2 (325). */
  sendMessage(addr: string, h: SendMessageRequestHeader, body: Buffer, opts: {
    timeoutMs: number; code?: number | undefined; uniqMsgId: string; signal?: AbortSignal | undefined;
  }): Promise<SendResult> {
    const code = opts.code ?? (h.batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2);
    const uniqMsgId = opts.uniqMsgId;
    return this.invoke(addr, this.sendCommand(code, h, body), opts.timeoutMs, opts.signal)
      .then((r) => this.parseSendResponse(r, addr, h, uniqMsgId));
  }

  async sendMessageOneway(addr: string, h: SendMessageRequestHeader, body: Buffer, code?: number): Promise<void> {
    const c = code ?? (h.batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2);
    await this.invokeOneway(addr, this.sendCommand(c, h, body));
  }

  /** END_TRANSACTION (37), oneway. */
  async endTransactionOneway(addr: string, fields: EndTransactionRequestHeader, remark?: string): Promise<void> {
    const cmd = this.request(RequestCode.END_TRANSACTION, encodeEndTransactionRequestHeader(fields));
    if (remark) cmd.remark = remark;
    await this.invokeOneway(addr, cmd);
  }

  // ---- consumer ----------------------------------------------------------------------------------

  /** PULL_MESSAGE (11). */
  async pullMessage(addr: string, h: PullMessageRequestHeader, timeoutMs: number, signal?: AbortSignal): Promise<PullResult> {
    const r = await this.invoke(addr, this.request(RequestCode.PULL_MESSAGE, encodePullMessageRequestHeader(h)), timeoutMs, signal);
    const status = PULL_STATUS[r.code];
    if (status === undefined) throw new MQBrokerError(r.code, r.remark, addr);
    const rh = decodePullMessageResponseHeader(r.extFields, h.queueOffset);
    const body = status === 'FOUND' ? bodyOf(r) : null;
    return {
      status,
      nextBeginOffset: rh.nextBeginOffset,
      minOffset: rh.minOffset,
      maxOffset: rh.maxOffset,
      suggestWhichBrokerId: rh.suggestWhichBrokerId,
      messages: body ? decodeMessages(body, h.brokerName ?? '') : [],
    };
  }

  /** QUERY_CONSUMER_OFFSET (14). -1 when the broker has none (22 QUERY_NOT_FOUND). */
  async queryConsumerOffset(addr: string, mq: MessageQueue, consumerGroup: string, timeoutMs: number): Promise<number> {
    const r = await this.invoke(addr, this.request(RequestCode.QUERY_CONSUMER_OFFSET, encodeQueryConsumerOffsetRequestHeader({
      topic: mq.topic, consumerGroup, queueId: mq.queueId, brokerName: mq.brokerName,
    })), timeoutMs);
    if (r.code === ResponseCode.QUERY_NOT_FOUND) return -1;
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
    return decodeOffsetResponseHeader(r.extFields).offset;
  }

  /** UPDATE_CONSUMER_OFFSET (15), oneway like the Java client's periodic persist. */
  async updateConsumerOffsetOneway(addr: string, mq: MessageQueue, consumerGroup: string, commitOffset: number): Promise<void> {
    await this.invokeOneway(addr, this.updateOffsetCommand(mq, consumerGroup, commitOffset));
  }

  async updateConsumerOffset(addr: string, mq: MessageQueue, consumerGroup: string, commitOffset: number, timeoutMs: number): Promise<void> {
    const r = await this.invoke(addr, this.updateOffsetCommand(mq, consumerGroup, commitOffset), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  private updateOffsetCommand(mq: MessageQueue, consumerGroup: string, commitOffset: number): RemotingCommand {
    return this.request(RequestCode.UPDATE_CONSUMER_OFFSET, encodeUpdateConsumerOffsetRequestHeader({
      topic: mq.topic, consumerGroup, queueId: mq.queueId, commitOffset, brokerName: mq.brokerName,
    }));
  }

  /** GET_MAX_OFFSET / GET_MIN_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP (with a timestamp): the reply's offset. */
  private async offsetCall(code: number, addr: string, mq: MessageQueue, timeoutMs: number, timestamp?: number): Promise<number> {
    const h = { topic: mq.topic, queueId: mq.queueId, brokerName: mq.brokerName };
    const fields = encodeQueueOffsetRequestHeader(timestamp === undefined ? h : { ...h, timestamp });
    const r = await this.invoke(addr, this.request(code, fields), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
    return decodeOffsetResponseHeader(r.extFields).offset;
  }

  /** GET_MAX_OFFSET (30). */
  getMaxOffset(addr: string, mq: MessageQueue, timeoutMs: number): Promise<number> {
    return this.offsetCall(RequestCode.GET_MAX_OFFSET, addr, mq, timeoutMs);
  }

  /** GET_MIN_OFFSET (31). */
  getMinOffset(addr: string, mq: MessageQueue, timeoutMs: number): Promise<number> {
    return this.offsetCall(RequestCode.GET_MIN_OFFSET, addr, mq, timeoutMs);
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP (29). */
  searchOffset(addr: string, mq: MessageQueue, timestampMs: number, timeoutMs: number): Promise<number> {
    return this.offsetCall(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, addr, mq, timeoutMs, timestampMs);
  }

  /** HEART_BEAT (34): body is the HeartbeatData JSON. */
  async sendHeartbeat(addr: string, heartbeatJson: string, timeoutMs: number): Promise<void> {
    const r = await this.invoke(addr, this.request(RequestCode.HEART_BEAT, null, Buffer.from(heartbeatJson, 'utf8')), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  /** UNREGISTER_CLIENT (35): one call per group. */
  async unregisterClient(addr: string, clientID: string, group: { producerGroup?: string; consumerGroup?: string }, timeoutMs: number): Promise<void> {
    const fields: Record<string, string> = {};
    if (group.producerGroup) fields['producerGroup'] = group.producerGroup;
    if (group.consumerGroup) fields['consumerGroup'] = group.consumerGroup;
    fields['clientID'] = clientID;
    const r = await this.invoke(addr, this.request(RequestCode.UNREGISTER_CLIENT, fields), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  /** CONSUMER_SEND_MSG_BACK (36): the broker re-queues a failed message to %RETRY%group (or the DLQ). */
  async consumerSendMessageBack(addr: string, brokerName: string, msg: MessageExt, group: string, delayLevel: number,
    maxReconsumeTimes: number, timeoutMs: number): Promise<void> {
    const r = await this.invoke(addr, this.request(RequestCode.CONSUMER_SEND_MSG_BACK, encodeConsumerSendMsgBackRequestHeader({
      offset: msg.commitLogOffset, group, delayLevel, originMsgId: msg.msgId, originTopic: msg.topic, unitMode: false,
      maxReconsumeTimes, brokerName,
    })), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  /** GET_CONSUMER_LIST_BY_GROUP (38). */
  async getConsumerIdListByGroup(addr: string, consumerGroup: string, timeoutMs: number): Promise<string[]> {
    const r = await this.invoke(addr, this.request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, encodeGetConsumerListByGroupRequestHeader({ consumerGroup })), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
    const body = bodyOf(r);
    if (!body) return [];
    const list = parseBody(body)?.consumerIdList;
    return Array.isArray(list) ? list.map(String) : [];
  }

  /** LOCK_BATCH_MQ (41): returns the queues the broker locked for this client. */
  async lockBatchMQ(addr: string, consumerGroup: string, clientId: string, mqSet: MessageQueue[], timeoutMs: number): Promise<MessageQueue[]> {
    const body = JSON.stringify({ clientId, consumerGroup, mqSet: mqSet.map(mqJson) });
    const r = await this.invoke(addr, this.request(RequestCode.LOCK_BATCH_MQ, null, Buffer.from(body)), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
    const b = bodyOf(r);
    const set = b ? parseBody(b)?.lockOKMQSet : [];
    return Array.isArray(set) ? set.map(messageQueueOf) : [];
  }

  /** UNLOCK_BATCH_MQ (42). */
  async unlockBatchMQ(addr: string, consumerGroup: string, clientId: string, mqSet: MessageQueue[], timeoutMs: number, oneway: boolean): Promise<void> {
    const body = Buffer.from(JSON.stringify({ clientId, consumerGroup, mqSet: mqSet.map(mqJson) }));
    const cmd = this.request(RequestCode.UNLOCK_BATCH_MQ, null, body);
    if (oneway) return this.invokeOneway(addr, cmd);
    const r = await this.invoke(addr, cmd, timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  // ---- admin -------------------------------------------------------------------------------------

  /** UPDATE_AND_CREATE_TOPIC (17): creates or updates a topic on one broker (tools and tests). */
  async createTopic(addr: string, topic: string, opts: { readQueueNums?: number; writeQueueNums?: number; perm?: number; order?: boolean } = {},
    timeoutMs = 3000): Promise<void> {
    const r = await this.invoke(addr, this.request(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic, defaultTopic: 'TBW102', readQueueNums: String(opts.readQueueNums ?? 4), writeQueueNums: String(opts.writeQueueNums ?? 4),
      perm: String(opts.perm ?? 6), topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: String(opts.order ?? false),
    }), timeoutMs);
    if (r.code !== ResponseCode.SUCCESS) throw new MQBrokerError(r.code, r.remark, addr);
  }

  close(): Promise<void> {
    return this.remoting.close();
  }
}

export function mqJson(mq: MessageQueue): { brokerName: string; queueId: number; topic: string } {
  return { brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic };
}
