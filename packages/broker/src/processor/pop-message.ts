// The 5.x POP family: POP_MESSAGE 200050, ACK_MESSAGE 200051, PEEK_MESSAGE 200052,
// CHANGE_MESSAGE_INVISIBLETIME 200053, NOTIFICATION 200054, POLLING_INFO 200055 (state in pop/).
//
// POP reply header (PopMessageResponseHeader): popTime, invisibleTime, reviveQid, restNum,
// startOffsetInfo "<retry> <queueId> <startOffset>;...", msgOffsetInfo "<retry> <queueId> <o1>,<o2>;..."
// where <retry> is 0 for the topic and 1 for %RETRY%group_topic (ExtraInfoUtil). Retry messages are
// returned with their actual retry topic (5.x popResponseReturnActualRetryTopic). A client acks with
// extraInfo = POP_CK "<ckQueueOffset> <popTime> <invisibleTime> <reviveQid> <retry> <brokerName>
// <queueId> <queueOffset>" and offset = the message's queue offset.

import { RemotingCommand, type Channel, type RemotingServer } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import { isReadable } from '../common/perm.js';
import { POP_GROUP_PREFIX, popRetryTopic, tagFilter, type PopService, type QueueState } from '../pop/pop-service.js';
import { ResponseCode as RC } from '@rmq/remoting';

/** The message an ACK or CHANGE_INVISIBLETIME request names (5.x AckMessageRequestHeader fields). */
interface InFlightRef { group: string; topic: string; queueId: number; extraInfo: string; offset: number }

export const POP_MESSAGE = 200050;
export const ACK_MESSAGE = 200051;
export const PEEK_MESSAGE = 200052;
export const CHANGE_MESSAGE_INVISIBLETIME = 200053;
export const NOTIFICATION = 200054;
export const POLLING_INFO = 200055;
const INVALID_PARAMETER = 29;
const NO_MESSAGE = 208;
const POLLING_FULL = 209;
const POLLING_TIMEOUT = 210;
const MAX_POP_BYTES = 8 * 1024 * 1024;

class HeaderError extends Error {}

function field(ext: Record<string, string> | null | undefined, name: string, required: true): string;
function field(ext: Record<string, string> | null | undefined, name: string, required: false): string | undefined;
function field(ext: Record<string, string> | null | undefined, name: string, required: boolean): string | undefined {
  const v = ext?.[name];
  if (v === undefined || v === null || String(v) === '') {
    if (required) throw new HeaderError(`the custom field <${name}> is null`);
    return undefined;
  }
  return String(v);
}

function int(ext: Record<string, string> | null | undefined, name: string, required = true): number {
  const v = field(ext, name, required as true);
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HeaderError(`the custom field <${name}> is not a number: ${v}`);
  return n;
}

/** The topic an ack names: the retry topic when the extraInfo says so (ExtraInfoUtil.getRealTopic). */
function realTopic(topic: string, group: string, retryFlag: string | undefined): string {
  if (topic.startsWith(POP_GROUP_PREFIX)) return topic;
  if (retryFlag === '1') return popRetryTopic(topic, group);
  if (retryFlag === '2') return `${POP_GROUP_PREFIX}${group}+${topic}`;
  return topic;
}

const retryMark = (topic: string): string => (topic.startsWith(POP_GROUP_PREFIX) ? (topic.includes('+') ? '2' : '1') : '0');

interface PopHeader {
  consumerGroup: string; topic: string; queueId: number; maxMsgNums: number; invisibleTime: number;
  pollTime: number; bornTime: number; initMode: number; expType?: string; exp?: string;
}

function parsePop(req: RemotingCommand): PopHeader {
  const e = req.extFields;
  return {
    consumerGroup: field(e, 'consumerGroup', true), topic: field(e, 'topic', true), queueId: int(e, 'queueId'),
    maxMsgNums: int(e, 'maxMsgNums'), invisibleTime: int(e, 'invisibleTime'), pollTime: int(e, 'pollTime'),
    bornTime: int(e, 'bornTime'), initMode: int(e, 'initMode'), expType: field(e, 'expType', false), exp: field(e, 'exp', false),
  };
}

class PopProcessor {
  private readonly brokerName: string;
  constructor(private readonly ctx: BrokerContext, private readonly svc: PopService) {
    this.brokerName = ctx.config.brokerName;
  }

  /** Common checks of POP/PEEK/NOTIFICATION; an error reply or null. */
  private check(topic: string, group: string, queueId: number): RemotingCommand | null {
    const ctx = this.ctx;
    if (!this.svc.serving) return RemotingCommand.response(RC.SERVICE_NOT_AVAILABLE, `the broker[${ctx.config.brokerIP1}] does not serve POP (a slave, or not started)`);
    if (!isReadable(ctx.config.brokerPermission)) return RemotingCommand.response(RC.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] peeking message is forbidden`);
    const tc = ctx.topicConfigManager.selectTopicConfig(topic);
    if (!tc) return RemotingCommand.response(RC.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
    if (!isReadable(tc.perm)) return RemotingCommand.response(RC.NO_PERMISSION, `the topic[${topic}] peeking message is forbidden`);
    if (queueId >= tc.readQueueNums) {
      return RemotingCommand.response(INVALID_PARAMETER, `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${group}]`);
    }
    const sgc = ctx.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    if (!sgc) return RemotingCommand.response(RC.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
    if (!sgc.consumeEnable) return RemotingCommand.response(RC.NO_PERMISSION, `subscription group no permission, ${group}`);
    return null;
  }

  private queueCount(topic: string): number {
    return this.ctx.topicConfigManager.selectTopicConfig(topic)?.readQueueNums ?? 0;
  }

  async pop(req: RemotingCommand, ch: Channel): Promise<RemotingCommand> {
    const h = parsePop(req);
    const err = this.check(h.topic, h.consumerGroup, h.queueId);
    if (err) return err;
    if (h.maxMsgNums <= 0 || h.maxMsgNums > 32) {
      return RemotingCommand.response(INVALID_PARAMETER, `the broker[${this.ctx.config.brokerIP1}] pop message's num is greater than 32`);
    }
    if (h.invisibleTime < 0) return RemotingCommand.response(INVALID_PARAMETER, 'invisibleTime must not be negative');
    const filter = tagFilter(h.expType, h.exp);
    const retry = popRetryTopic(h.topic, h.consumerGroup);
    const deadline = Date.now() + Math.max(0, h.pollTime);
    for (;;) {
      const popTime = Date.now();
      const r = this.popOnce(h, retry, filter, popTime);
      if (r.body.length > 0) return this.reply(RC.SUCCESS, 'FOUND', h, popTime, r);
      const left = deadline - Date.now();
      if (left <= 0 || ch.closed) return this.reply(POLLING_TIMEOUT, 'NO_MESSAGE_IN_QUEUE', h, popTime, r);
      const held = this.svc.hold(h.consumerGroup, [h.topic, retry], left);
      if (held === null) return this.reply(POLLING_FULL, 'NO_MESSAGE_IN_QUEUE', h, popTime, r);
      await held;
    }
  }

  private reply(code: number, remark: string, h: PopHeader, popTime: number, r: PopResult): RemotingCommand {
    const ext: Record<string, unknown> = {
      popTime, invisibleTime: h.invisibleTime, reviveQid: 0, restNum: r.restNum,
      startOffsetInfo: r.startInfo.join(';'), msgOffsetInfo: r.msgInfo.join(';'),
    };
    return RemotingCommand.response(code, remark, ext as never, code === RC.SUCCESS ? Buffer.concat(r.body) : null);
  }

  /** One pass: the retry topic first with popFromRetryProbability percent, then the queues of the topic. */
  private popOnce(h: PopHeader, retry: string, filter: ReturnType<typeof tagFilter>, popTime: number): PopResult {
    const res: PopResult = { body: [], count: 0, restNum: 0, startInfo: [], msgInfo: [] };
    const retryFirst = Math.random() * 100 < this.ctx.config.popFromRetryProbability;
    const hasRetry = this.ctx.topicConfigManager.selectTopicConfig(retry) !== undefined;
    if (retryFirst && hasRetry) this.popQueue(h, retry, 0, filter, popTime, res);
    const n = this.queueCount(h.topic);
    if (h.queueId >= 0) this.popQueue(h, h.topic, h.queueId, filter, popTime, res);
    else {
      const start = Math.floor(Math.random() * Math.max(1, n));
      for (let i = 0; i < n; i++) this.popQueue(h, h.topic, (start + i) % n, filter, popTime, res);
    }
    if (!retryFirst && hasRetry) this.popQueue(h, retry, 0, filter, popTime, res);
    return res;
  }

  /** Pops up to the rest of maxMsgNums from one queue under its lock (other POPs skip a locked queue). */
  private popQueue(h: PopHeader, topic: string, queueId: number, filter: ReturnType<typeof tagFilter>, popTime: number, res: PopResult): void {
    const s: QueueState = this.svc.state(h.consumerGroup, topic, queueId);
    const store = this.ctx.store;
    const max = store.getMaxOffsetInQueue(topic, queueId);
    if (s.locked) return;
    s.locked = true;
    try {
      let offset = this.svc.startOffset(s, h.initMode);
      const want = h.maxMsgNums - res.count;
      if (want <= 0 || s.inflight.size >= this.ctx.config.popMaxInflightPerQueue) { res.restNum += Math.max(0, max - offset); return; }
      let g = store.getMessage(h.consumerGroup, topic, queueId, offset, want, MAX_POP_BYTES, filter);
      if (g.status === 'OFFSET_TOO_SMALL' || g.status === 'OFFSET_OVERFLOW_BADLY' || g.status === 'OFFSET_FOUND_NULL') {
        offset = g.nextBeginOffset;
        s.popOffset = offset;
        g = store.getMessage(h.consumerGroup, topic, queueId, offset, want, MAX_POP_BYTES, filter);
      }
      if (g.buffers.length > 0) {
        const offsets: number[] = [];
        for (const b of g.buffers) offsets.push(Number(b.readBigInt64BE(20)));
        this.svc.recordPop(s, offsets, g.nextBeginOffset, popTime, h.invisibleTime);
        res.body.push(...g.buffers);
        res.count += g.buffers.length;
        const mark = retryMark(topic);
        res.startInfo.push(`${mark} ${queueId} ${offset}`);
        res.msgInfo.push(`${mark} ${queueId} ${offsets.join(',')}`);
      } else if (g.nextBeginOffset > offset && (g.status === 'NO_MATCHED_MESSAGE' || g.status === 'MESSAGE_WAS_REMOVING')) {
        this.svc.recordPop(s, [], g.nextBeginOffset, popTime, h.invisibleTime); // filtered out: move on
      }
      res.restNum += Math.max(0, g.maxOffset - g.nextBeginOffset);
    } finally {
      s.locked = false;
    }
  }

  /** ACK_MESSAGE / CHANGE_MESSAGE_INVISIBLETIME: the in-flight message their headers name. */
  private inFlightRef(e: RemotingCommand['extFields']): InFlightRef {
    return {
      group: field(e, 'consumerGroup', true), topic: field(e, 'topic', true), queueId: int(e, 'queueId'),
      extraInfo: field(e, 'extraInfo', true), offset: int(e, 'offset'),
    };
  }

  /** The real topic and extraInfo parts of an in-flight reference, or the reply that refuses it. */
  private resolveInFlight(r: InFlightRef): { real: string; parts: string[] } | RemotingCommand {
    if (!this.svc.serving) return RemotingCommand.response(RC.SERVICE_NOT_AVAILABLE, 'this broker does not serve POP (a slave, or not started)');
    const parts = r.extraInfo.split(' ');
    if (parts.length < 5) return RemotingCommand.response(RC.MESSAGE_ILLEGAL, `extraInfo [${r.extraInfo}] is malformed`);
    const real = realTopic(r.topic, r.group, parts[4]);
    if (!this.ctx.topicConfigManager.selectTopicConfig(real)) return RemotingCommand.response(RC.TOPIC_NOT_EXIST, `topic[${real}] not exist, apply first please!`);
    return { real, parts };
  }

  ack(req: RemotingCommand): RemotingCommand {
    const r = this.inFlightRef(req.extFields);
    const t = this.resolveInFlight(r);
    if (t instanceof RemotingCommand) return t;
    const { real } = t;
    const { group, queueId, offset } = r;
    const min = this.ctx.store.getMinOffsetInQueue(real, queueId);
    const max = this.ctx.store.getMaxOffsetInQueue(real, queueId);
    if (offset < min || offset > max) {
      return RemotingCommand.response(NO_MESSAGE, `offset is illegal, key:${real}@${queueId}, commit:${offset}, store:${min},${max}`);
    }
    this.svc.ack(group, real, queueId, offset); // idempotent: a second ack (or one after revive) changes nothing
    return RemotingCommand.response(RC.SUCCESS, null);
  }

  changeInvisible(req: RemotingCommand): RemotingCommand {
    const r = this.inFlightRef(req.extFields);
    const invisibleTime = int(req.extFields, 'invisibleTime');
    if (invisibleTime < 0) return RemotingCommand.response(INVALID_PARAMETER, 'invisibleTime must not be negative');
    const t = this.resolveInFlight(r);
    if (t instanceof RemotingCommand) return t;
    const { real, parts } = t;
    const { group, queueId, offset } = r;
    const now = Date.now();
    if (!this.svc.changeInvisible(group, real, queueId, offset, invisibleTime, now)) {
      return RemotingCommand.response(NO_MESSAGE, `message ${real}@${queueId}:${offset} is not in flight for ${group} (acked or revived)`);
    }
    return RemotingCommand.response(RC.SUCCESS, null, { popTime: now, invisibleTime, reviveQid: parts[3] ?? 0 } as never);
  }

  peek(req: RemotingCommand): RemotingCommand {
    const e = req.extFields;
    const group = field(e, 'consumerGroup', true);
    const topic = field(e, 'topic', true);
    const queueId = int(e, 'queueId');
    const maxMsgNums = Math.min(32, Math.max(1, int(e, 'maxMsgNums')));
    const err = this.check(topic, group, queueId);
    if (err) return err;
    const queues = queueId >= 0 ? [queueId] : [...Array(this.queueCount(topic)).keys()];
    const body: Buffer[] = [];
    let rest = 0;
    for (const q of queues) {
      if (body.length >= maxMsgNums) break;
      const s = this.svc.state(group, topic, q);
      const offset = this.svc.startOffset(s, 0);
      const g = this.ctx.store.getMessage(group, topic, q, offset, maxMsgNums - body.length, MAX_POP_BYTES, null);
      body.push(...g.buffers);
      rest += Math.max(0, g.maxOffset - g.nextBeginOffset);
    }
    const ext = { popTime: Date.now(), invisibleTime: 0, reviveQid: 0, restNum: rest };
    return body.length > 0 ? RemotingCommand.response(RC.SUCCESS, 'FOUND', ext as never, Buffer.concat(body))
      : RemotingCommand.response(RC.PULL_NOT_FOUND, 'NO_MESSAGE_IN_QUEUE', ext as never);
  }

  private hasMessage(group: string, topic: string, queueId: number): boolean {
    const retry = popRetryTopic(topic, group);
    const queues: Array<[string, number]> = queueId >= 0 ? [[topic, queueId]] : [...Array(this.queueCount(topic)).keys()].map((q) => [topic, q]);
    if (this.ctx.topicConfigManager.selectTopicConfig(retry)) queues.push([retry, 0]);
    for (const [t, q] of queues) {
      const s = this.svc.state(group, t, q);
      if (this.svc.startOffset(s, 0) < this.ctx.store.getMaxOffsetInQueue(t, q)) return true;
    }
    return false;
  }

  async notification(req: RemotingCommand): Promise<RemotingCommand> {
    const e = req.extFields;
    const group = field(e, 'consumerGroup', true);
    const topic = field(e, 'topic', true);
    const queueId = int(e, 'queueId');
    const pollTime = int(e, 'pollTime');
    const err = this.check(topic, group, queueId);
    if (err) return err;
    const deadline = Date.now() + Math.max(0, pollTime);
    for (;;) {
      if (this.hasMessage(group, topic, queueId)) return RemotingCommand.response(RC.SUCCESS, null, { hasMsg: true, pollingFull: false } as never);
      const left = deadline - Date.now();
      if (left <= 0) return RemotingCommand.response(RC.SUCCESS, null, { hasMsg: false, pollingFull: false } as never);
      const held = this.svc.hold(group, [topic, popRetryTopic(topic, group)], left);
      if (held === null) return RemotingCommand.response(RC.SUCCESS, null, { hasMsg: false, pollingFull: true } as never);
      await held;
    }
  }

  pollingInfo(req: RemotingCommand): RemotingCommand {
    const e = req.extFields;
    const group = field(e, 'consumerGroup', true);
    const topic = field(e, 'topic', true);
    const queueId = int(e, 'queueId');
    const err = this.check(topic, group, queueId);
    if (err) return err;
    return RemotingCommand.response(RC.SUCCESS, null, { pollingNum: this.svc.pollingNum(topic, group) } as never);
  }
}

interface PopResult { body: Buffer[]; count: number; restNum: number; startInfo: string[]; msgInfo: string[] }

export function register(server: Pick<RemotingServer, 'registerProcessor'>, ctx: BrokerContext): void {
  const pop = ctx.popService;
  if (!pop) return;
  const p = new PopProcessor(ctx, pop);
  const guard = <T extends unknown[]>(fn: (...a: T) => RemotingCommand | Promise<RemotingCommand>) => async (...a: T): Promise<RemotingCommand> => {
    try {
      return await fn(...a);
    } catch (e) {
      if (e instanceof HeaderError) return RemotingCommand.response(RC.SYSTEM_ERROR, e.message);
      ctx.logger.error(`pop request failed: ${(e as Error).message}`);
      return RemotingCommand.response(RC.SYSTEM_ERROR, (e as Error).message);
    }
  };
  server.registerProcessor(POP_MESSAGE, guard((req: RemotingCommand, ch: Channel) => p.pop(req, ch)));
  server.registerProcessor(ACK_MESSAGE, guard((req: RemotingCommand) => p.ack(req)));
  server.registerProcessor(PEEK_MESSAGE, guard((req: RemotingCommand) => p.peek(req)));
  server.registerProcessor(CHANGE_MESSAGE_INVISIBLETIME, guard((req: RemotingCommand) => p.changeInvisible(req)));
  server.registerProcessor(NOTIFICATION, guard((req: RemotingCommand) => p.notification(req)));
  server.registerProcessor(POLLING_INFO, guard((req: RemotingCommand) => p.pollingInfo(req)));
}
