// SEND_MESSAGE (10, long header names), SEND_MESSAGE_V2 (310, one-letter names) and
// SEND_BATCH_MESSAGE (320). The hot path: header fields are read straight from extFields, the
// properties string is edited with indexOf (WAIT dropped, CLUSTER added, as Apache stores them),
// and the reply carries msgId (offset message id), queueId, queueOffset, MSG_REGION, TRACE_ON.

import {
  RemotingCommand, SendReplyExtWriter, decodeSendMessageRequestHeader, isBatchSendRequest, recordStageMs, sendHeaderFromBytes,
  sendHeaderNames, stageTimersOn, STAGE_ACK_WAIT, STAGE_APPEND, type Channel, type RemotingServer, type SendMessageRequestHeader,
} from '@rmq/remoting';
import type { HostAddress, MessageInner, PutResult } from '@rmq/store';
import type { BrokerContext } from '../broker-context.js';
import type { TopicConfig } from '../topic/topic-config-manager.js';
import {
  DLQ_NUMS_PER_GROUP, FAQ_URL, PERM_READ, PERM_WRITE, RETRY_GROUP_TOPIC_PREFIX, dlqTopic, isNotAllowedSendTopic,
  isWriteable, validateTopic,
} from '../common/perm.js';
import {
  PROP_CLUSTER, PROP_DELAY, PROP_WAIT, getProperty, putProperty, removeProperty, tagsCodeOf,
} from '../common/properties.js';
import { RequestCode, ResponseCode as RC } from '@rmq/remoting';

const { SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE, SEND_REPLY_MESSAGE } = RequestCode;

const TRANSACTION_PREPARED_TYPE = 0x4;
const TRANSACTION_TYPE_MASK = 0xc;
const MAX_PROPERTIES_BYTES = 32767;
const ILLEGAL_REMARK = 'the message is illegal, maybe msg body or properties length not matched. msg body length limit 128k, msg properties length limit 32k.';

/** Over Apache's 32767-byte limit in UTF-8 (a string of up to 10922 chars cannot be: no byte count then). */
function propertiesTooLong(props: string): boolean {
  return props.length * 3 > MAX_PROPERTIES_BYTES && Buffer.byteLength(props) > MAX_PROPERTIES_BYTES;
}

/** Reads a V2 (short names) or V1 (long names) header. */
export function parseSendHeader(req: RemotingCommand): SendMessageRequestHeader {
  const h = sendHeaderFromBytes(req); // the JSON scan or the binary pairs, without the ext map
  if (h !== null) return h;
  const ext = req.extFields;
  const code = req.code;
  return decodeSendMessageRequestHeader(ext, sendHeaderNames(code === SEND_MESSAGE || code === SEND_REPLY_MESSAGE, ext));
}

/** "ip:port" of a channel's peer, parsed once per connection. */
export function bornHostOf(ch: Channel): { ip: string; port: number } {
  const cached = ch.attrs.get('bornHost') as { ip: string; port: number } | undefined;
  if (cached) return cached;
  const addr = ch.remoteAddress;
  const i = addr.lastIndexOf(':');
  let ip = i >= 0 ? addr.slice(0, i) : addr;
  const port = i >= 0 ? Number(addr.slice(i + 1)) || 0 : 0;
  if (ip.startsWith('[')) ip = ip.slice(1, -1);
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) ip = '127.0.0.1';
  const host = { ip, port };
  ch.attrs.set('bornHost', host);
  return host;
}

function errorResponse(code: number, remark: string): RemotingCommand {
  return RemotingCommand.response(code, remark);
}

let clusterFor = '';
let clusterSuffix = '\u0002CLUSTER\u0001';

/** Properties as Apache stores them: without WAIT, with CLUSTER, no trailing separator. */
export function storedProperties(props: string, cluster: string): string {
  let p = props;
  const wait = p.indexOf('WAIT\u0001');
  if (wait > 0 && p.charCodeAt(wait - 1) === 2 && p.indexOf('\u0002', wait) < 0) {
    p = p.slice(0, wait - 1); // the common case: WAIT is the last pair (the Java client puts it last)
  } else if (wait >= 0) {
    p = removeProperty(p, PROP_WAIT);
  }
  if (p.indexOf('CLUSTER\u0001') >= 0) return putProperty(p, PROP_CLUSTER, cluster);
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 2) end--;
  if (end !== p.length) p = p.slice(0, end);
  if (cluster !== clusterFor) { clusterFor = cluster; clusterSuffix = '\u0002CLUSTER\u0001' + cluster; }
  return p.length === 0 ? clusterSuffix.slice(1) : p + clusterSuffix;
}

/**
 * A single send between its checks and its put's completion (the put callback's argument). It is also
 * the message the store appends (one object per send, not two), except for a transaction's half
 * message, whose stored form differs (`inner`).
 */
class PendingSend implements MessageInner {
  startMs = 0;
  /** what the store appends: this object, or a half message's own */
  inner: MessageInner = this;
  flag = 0;
  properties = '';
  sysFlag = 0;
  bornTimestamp = 0;
  reconsumeTimes = 0;
  preparedTransactionOffset = 0;
  tagsCode: number | undefined = undefined;
  constructor(
    readonly proc: SendMessageProcessor, readonly req: RemotingCommand, readonly ch: Channel,
    /** the topic stored under (retry/DLQ, timers, delay applied), the queue the reply names (the stored one), the topic the producer named */
    readonly topic: string, readonly queueId: number, readonly reqTopic: string,
    readonly body: Buffer, readonly bornHost: HostAddress,
  ) {}

  /** a transaction's half message (the promise path) */
  get half(): boolean { return this.inner !== this; }
}

/** putMessageThen's callback: the reply goes back through the channel, as a returned answer would. */
function sendDone(r: PutResult, s: PendingSend): void {
  let resp: RemotingCommand;
  try {
    resp = s.proc.sendResult(s, r, performance.now() - s.startMs);
  } catch (e) {
    resp = RemotingCommand.response(RC.SYSTEM_ERROR, e instanceof Error ? e.message : String(e));
  }
  s.ch.reply(s.req, resp);
}

export class SendMessageProcessor {
  private readonly brokerDesc: string;

  constructor(private readonly ctx: BrokerContext) {
    this.brokerDesc = ctx.config.brokerIP1;
  }

  /**
   * Apache's msgCheck: broker/topic permissions, topic name, auto-creation, queue id range.
   * Returns the topic config or an error reply.
   */
  msgCheck(h: SendMessageRequestHeader, ch: Channel): TopicConfig | RemotingCommand {
    const ctx = this.ctx;
    if (!isWriteable(ctx.config.brokerPermission)) {
      return errorResponse(RC.NO_PERMISSION, `the broker[${this.brokerDesc}] sending message is forbidden`);
    }
    let tc = ctx.topicConfigManager.selectTopicConfig(h.topic);
    if (!tc) {
      const invalid = validateTopic(h.topic);
      if (invalid) return errorResponse(RC.SYSTEM_ERROR, invalid);
      if (isNotAllowedSendTopic(h.topic)) {
        return errorResponse(RC.NO_PERMISSION, `Sending message to topic[${h.topic}] is forbidden.`);
      }
      const sysFlag = h.unitMode ? 1 : 0;
      tc = ctx.topicConfigManager.createTopicInSendMessageMethod(h.topic, h.defaultTopic, h.defaultTopicQueueNums, sysFlag);
      if (!tc && h.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
        tc = ctx.topicConfigManager.createTopicInSendMessageBackMethod(h.topic, 1, PERM_WRITE | PERM_READ, sysFlag);
      }
      if (!tc) {
        return errorResponse(RC.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please!${FAQ_URL}`);
      }
    } else if (isNotAllowedSendTopic(h.topic)) {
      return errorResponse(RC.NO_PERMISSION, `Sending message to topic[${h.topic}] is forbidden.`);
    }
    if (!isWriteable(tc.perm)) {
      return errorResponse(RC.NO_PERMISSION, `the topic[${h.topic}] sending message is forbidden`);
    }
    const idValid = Math.max(tc.writeQueueNums, tc.readQueueNums);
    if (h.queueId >= idValid) {
      return errorResponse(RC.SYSTEM_ERROR,
        `request queueId[${h.queueId}] is illegal, ${JSON.stringify(tc)} Producer: ${ch.remoteAddress}`);
    }
    return tc;
  }

  /**
   * Retry topics: a message that has been reconsumed maxReconsumeTimes goes to %DLQ%<group>.
   * Returns the new destination, null to keep topic and queue (no object for the common case), or
   * an error reply.
   */
  private handleRetryAndDLQ(h: SendMessageRequestHeader, topic: string, queueId: number): { topic: string; queueId: number } | RemotingCommand | null {
    if (!topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return null;
    const group = topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
    const sgc = this.ctx.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    if (!sgc) {
      return errorResponse(RC.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group}${FAQ_URL}`);
    }
    const maxReconsumeTimes = h.maxReconsumeTimes ?? sgc.retryMaxTimes;
    if (h.reconsumeTimes >= maxReconsumeTimes) {
      const dlq = dlqTopic(group);
      const tc = this.ctx.topicConfigManager.createTopicInSendMessageBackMethod(dlq, DLQ_NUMS_PER_GROUP, PERM_WRITE, 0);
      if (!tc) return errorResponse(RC.SYSTEM_ERROR, `topic[${dlq}] not exist`);
      return { topic: dlq, queueId: Math.floor(Math.random() * DLQ_NUMS_PER_GROUP) };
    }
    return { topic, queueId };
  }

  /**
   * One message (SEND_MESSAGE / V2). The common case answers without a promise: the put's callback
   * writes the reply to the channel (returns null). Half (transaction) messages, stage timers and
   * servers with response hooks take the promise path (returns the reply's promise); an invalid
   * request gets its error reply at once.
   */
  sendMessage(req: RemotingCommand, ch: Channel, replyLater = true): RemotingCommand | Promise<RemotingCommand> | null {
    const s = this.prepareSend(req, ch);
    if (s instanceof RemotingCommand) return s;
    if (s.half) return this.putHalf(s);
    if (stageTimersOn || !replyLater) return this.putAwaited(s);
    s.startMs = performance.now();
    this.ctx.store.putMessageThen(s.inner, sendDone, s);
    return null;
  }

  /** The checks and the stored form of a single send: an error reply or what to put. */
  private prepareSend(req: RemotingCommand, ch: Channel): RemotingCommand | PendingSend {
    const ctx = this.ctx;
    const h = parseSendHeader(req);
    const tc = this.msgCheck(h, ch);
    if (tc instanceof RemotingCommand) return tc;
    let queueId = h.queueId < 0 ? Math.floor(Math.random() * tc.writeQueueNums) : h.queueId;
    let topic = h.topic;
    const dest = this.handleRetryAndDLQ(h, topic, queueId);
    if (dest instanceof RemotingCommand) return dest;
    if (dest !== null) { topic = dest.topic; queueId = dest.queueId; }

    const body = bodyOf(req);
    if (body.length > ctx.config.maxMessageSize) return errorResponse(RC.MESSAGE_ILLEGAL, ILLEGAL_REMARK);
    let properties = storedProperties(h.properties, ctx.config.brokerClusterName);
    if (propertiesTooLong(properties)) return errorResponse(RC.MESSAGE_ILLEGAL, ILLEGAL_REMARK);

    let tagsCode: number | undefined;
    const sysFlag = h.sysFlag;
    const tranType = h.sysFlag & TRANSACTION_TYPE_MASK;
    if (tranType === TRANSACTION_PREPARED_TYPE) {
      if (ctx.config.rejectTransactionMessage) {
        return errorResponse(RC.NO_PERMISSION, `the broker[${this.brokerDesc}] sending transaction message is forbidden`);
      }
      const half = ctx.transactionalMessageService.stageHalf(topic, queueId, properties, sysFlag);
      const s = new PendingSend(this, req, ch, topic, queueId, h.topic, body, bornHostOf(ch));
      s.inner = {
        topic: half.topic, queueId: half.queueId, flag: h.flag, body, properties: half.properties, sysFlag: half.sysFlag,
        bornTimestamp: h.bornTimestamp, bornHost: s.bornHost, reconsumeTimes: h.reconsumeTimes, preparedTransactionOffset: 0,
      };
      return s;
    }
    const timer = properties.indexOf('TIMER_') >= 0 ? ctx.timerMessageService?.stage(topic, queueId, properties) : null;
    if (typeof timer === 'string') return errorResponse(RC.MESSAGE_ILLEGAL, timer);
    if (timer) ({ topic, queueId, properties, tagsCode } = timer); // timer/: held in rmq_sys_wheel_timer
    else if (properties.indexOf('DELAY\u0001') >= 0) {
      const level = Number(getProperty(properties, PROP_DELAY));
      if (level > 0 && !topic.startsWith('%DLQ%')) { // (topic: the destination after retry/DLQ)
        ({ topic, queueId, properties, tagsCode } = ctx.scheduleMessageService.stage(topic, queueId, properties, level));
      }
    }
    const s = new PendingSend(this, req, ch, topic, queueId, h.topic, body, bornHostOf(ch));
    s.flag = h.flag;
    s.properties = properties;
    s.sysFlag = sysFlag;
    s.bornTimestamp = h.bornTimestamp;
    s.reconsumeTimes = h.reconsumeTimes;
    s.tagsCode = tagsCode ?? tagsCodeOf(properties);
    return s;
  }

  private async putHalf(s: PendingSend): Promise<RemotingCommand> {
    const r = await this.ctx.store.putMessage(s.inner);
    this.ctx.stats.putMessages++;
    if (r.status === 'PUT_OK') this.ctx.stats.topicPutNums.add(s.topic, 1);
    return this.putResultResponse(r, s.queueId, r.msgId);
  }

  private async putAwaited(s: PendingSend): Promise<RemotingCommand> {
    const ctx = this.ctx;
    const putStartMs = performance.now();
    const pending = ctx.store.putMessage(s.inner);
    const appendedMs = stageTimersOn ? performance.now() : 0;
    const r = await pending;
    const putEndMs = performance.now();
    if (stageTimersOn) { recordStageMs(STAGE_APPEND, appendedMs - putStartMs); recordStageMs(STAGE_ACK_WAIT, putEndMs - appendedMs); }
    return this.sendResult(s, r, putEndMs - putStartMs);
  }

  /** Stats and the reply of a single send whose put completed. */
  sendResult(s: PendingSend, r: PutResult, putMs: number): RemotingCommand {
    const stats = this.ctx.stats;
    stats.putLatency.record(putMs);
    stats.putMessages++;
    stats.putBytes += s.inner.body.length;
    if (r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT') stats.topicPutNums.add(s.reqTopic, 1);
    return this.putResultResponse(r, s.queueId, r.msgId);
  }

  async sendBatchMessage(req: RemotingCommand, ch: Channel): Promise<RemotingCommand> {
    const h = parseSendHeader(req);
    const tc = this.msgCheck(h, ch);
    if (tc instanceof RemotingCommand) return tc;
    const ctx = this.ctx;
    if (h.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      return errorResponse(RC.MESSAGE_ILLEGAL, `batch request does not support retry group ${h.topic}`);
    }
    const queueId = h.queueId < 0 ? Math.floor(Math.random() * tc.writeQueueNums) : h.queueId;
    const body = bodyOf(req);
    if (body.length > ctx.config.maxMessageSize) return errorResponse(RC.MESSAGE_ILLEGAL, ILLEGAL_REMARK);
    let decoded: Array<{ flag: number; body: Buffer; properties: string }>;
    try {
      decoded = decodeBatchBody(body);
    } catch (e) {
      return errorResponse(RC.MESSAGE_ILLEGAL, `the batch body is illegal: ${(e as Error).message}`);
    }
    if (decoded.length === 0) return errorResponse(RC.MESSAGE_ILLEGAL, 'the batch body is empty');
    // Batch-level properties (CLUSTER; WAIT is not stored) are appended to every message.
    const batchProps = storedProperties(h.properties, ctx.config.brokerClusterName);
    const bornHost = bornHostOf(ch);
    const batch: MessageInner[] = [];
    for (const m of decoded) {
      if (getProperty(m.properties, PROP_DELAY) && Number(getProperty(m.properties, PROP_DELAY)) > 0) {
        return errorResponse(RC.MESSAGE_ILLEGAL, 'batch message does not support delay level');
      }
      let props = m.properties;
      let end = props.length;
      while (end > 0 && props.charCodeAt(end - 1) === 2) end--;
      props = props.slice(0, end);
      props = props.length === 0 ? batchProps : props + '\u0002' + batchProps;
      if (propertiesTooLong(props)) return errorResponse(RC.MESSAGE_ILLEGAL, ILLEGAL_REMARK);
      batch.push({
        topic: h.topic, queueId, flag: m.flag, body: m.body, properties: props, sysFlag: h.sysFlag,
        bornTimestamp: h.bornTimestamp, bornHost, reconsumeTimes: h.reconsumeTimes, preparedTransactionOffset: 0,
        tagsCode: tagsCodeOf(props),
      });
    }
    const putStartMs = performance.now();
    const r = await ctx.store.putMessages(h.topic, queueId, batch);
    ctx.stats.putLatency.record(performance.now() - putStartMs);
    ctx.stats.putMessages += batch.length;
    ctx.stats.putBytes += body.length;
    if (r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT') ctx.stats.topicPutNums.add(h.topic, batch.length);
    return this.putResultResponse(r, queueId, r.msgIds && r.msgIds.length > 0 ? r.msgIds.join(',') : r.msgId);
  }

  /** Apache's handlePutMessageResult: PutStatus -> response code and remark. */
  putResultResponse(r: PutResult, queueId: number, msgId: string): RemotingCommand {
    let code: number;
    let remark: string | null = null;
    switch (r.status) {
      case 'PUT_OK': code = RC.SUCCESS; break;
      case 'FLUSH_DISK_TIMEOUT': code = RC.FLUSH_DISK_TIMEOUT; break;
      case 'FLUSH_SLAVE_TIMEOUT': code = RC.FLUSH_SLAVE_TIMEOUT; break; // SYNC_MASTER (ha/): stored, with header
      case 'SLAVE_NOT_AVAILABLE': code = RC.SLAVE_NOT_AVAILABLE; break;
      case 'MESSAGE_ILLEGAL':
      case 'PROPERTIES_SIZE_EXCEEDED':
        code = RC.MESSAGE_ILLEGAL; remark = ILLEGAL_REMARK; break;
      case 'SERVICE_NOT_AVAILABLE':
        code = RC.SERVICE_NOT_AVAILABLE;
        remark = "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.";
        break;
      case 'OS_PAGECACHE_BUSY': code = RC.SYSTEM_ERROR; remark = '[PC_SYNCHRONIZED]broker busy, start flow control for a while'; break;
      default: code = RC.SYSTEM_ERROR; remark = 'UNKNOWN_ERROR'; break;
    }
    if (code !== RC.SUCCESS && code !== RC.FLUSH_DISK_TIMEOUT && code !== RC.FLUSH_SLAVE_TIMEOUT && code !== RC.SLAVE_NOT_AVAILABLE) {
      this.ctx.stats.sendRejected++;
      return RemotingCommand.response(code, remark);
    }
    return sendReply(code, remark, msgId, queueId, r.queueOffset, this.ctx.config.regionId, this.ctx.config.traceOn);
  }
}

// The SEND reply's extFields are the same five keys for every message: an ext writer holds them and
// the codec writes them straight into the connection's output, binary pairs or JSON text, without a
// map or a header string (equal, byte for byte, to RemotingCommand.response with the map {msgId,
// queueId, queueOffset, MSG_REGION, TRACE_ON}: tested in send-reply.test.ts).

/** A successful (or FLUSH_DISK_TIMEOUT) send's reply. */
export function sendReply(code: number, remark: string | null, msgId: string, queueId: number, queueOffset: number,
  region: string, traceOn: boolean): RemotingCommand {
  if (typeof region !== 'string' || typeof traceOn !== 'boolean' || typeof msgId !== 'string') {
    // a config value of another type (null drops the key): the general path
    return RemotingCommand.response(code, remark, { msgId, queueId, queueOffset, MSG_REGION: region, TRACE_ON: traceOn });
  }
  const cmd = RemotingCommand.response(code, remark);
  // the pairs without a map: the codec writes them from the writer, readers of extFields get the map
  cmd.extWriter = new SendReplyExtWriter(msgId, queueId, queueOffset, region, traceOn ? 'true' : 'false');
  return cmd;
}

export function bodyOf(req: RemotingCommand): Buffer {
  const b = req.body;
  if (!b) return Buffer.alloc(0);
  return Array.isArray(b) ? Buffer.concat(b) : b;
}

/**
 * SEND_BATCH_MESSAGE body: repeated [totalSize][magic][bodyCRC][flag][bodyLen][body]
 * [propertiesLen int16][properties].
 */
export function decodeBatchBody(buf: Buffer): Array<{ flag: number; body: Buffer; properties: string }> {
  const out: Array<{ flag: number; body: Buffer; properties: string }> = [];
  let p = 0;
  while (p < buf.length) {
    if (p + 20 > buf.length) throw new Error(`truncated message at ${p}`);
    const total = buf.readInt32BE(p);
    if (total < 22 || p + total > buf.length) throw new Error(`bad message size ${total} at ${p}`);
    const flag = buf.readInt32BE(p + 12);
    const bodyLen = buf.readInt32BE(p + 16);
    if (bodyLen < 0 || 20 + bodyLen + 2 > total) throw new Error(`bad body length ${bodyLen} at ${p}`);
    const body = buf.subarray(p + 20, p + 20 + bodyLen);
    const propLen = buf.readInt16BE(p + 20 + bodyLen);
    if (propLen < 0 || 22 + bodyLen + propLen > total) throw new Error(`bad properties length ${propLen} at ${p}`);
    const properties = buf.toString('utf8', p + 22 + bodyLen, p + 22 + bodyLen + propLen);
    out.push({ flag, body, properties });
    p += total;
  }
  return out;
}

export function register(server: Pick<RemotingServer, 'registerProcessor'> & Partial<Pick<RemotingServer, 'hasAfterResponseHooks'>>,
  ctx: BrokerContext): void {
  const p = new SendMessageProcessor(ctx);
  // a response hook must see the reply: then the processor returns it instead of writing it itself
  const single = (req: RemotingCommand, ch: Channel) => p.sendMessage(req, ch, server.hasAfterResponseHooks?.() !== true);
  server.registerProcessor(SEND_MESSAGE, (req, ch) => (isBatch(req) ? p.sendBatchMessage(req, ch) : single(req, ch)));
  server.registerProcessor(SEND_MESSAGE_V2, (req, ch) => (isBatch(req) ? p.sendBatchMessage(req, ch) : single(req, ch)));
  server.registerProcessor(SEND_BATCH_MESSAGE, (req, ch) => p.sendBatchMessage(req, ch));
}

function isBatch(req: RemotingCommand): boolean {
  return isBatchSendRequest(req);
}
