// SEND_REPLY_MESSAGE (324) / SEND_REPLY_MESSAGE_V2 (325): a responder's reply to a request-reply
// message. The broker pushes it to the requester's connection (REPLY_TO_CLIENT) with
// PUSH_REPLY_MESSAGE_TO_CLIENT (326) and, with storeReplyMessageEnable, also stores it.

import { RemotingCommand, RequestCode, ResponseCode as RC, type Channel, type Processor, type SendMessageRequestHeader } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { getProperty, putProperty, tagsCodeOf } from '../common/properties.js';
import { SendMessageProcessor, bodyOf, bornHostOf, parseSendHeader, storedProperties } from './send-message.js';

const { SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2, PUSH_REPLY_MESSAGE_TO_CLIENT } = RequestCode;
const PUSH_TIMEOUT_MS = 3000;

export class ReplyMessageProcessor {
  private readonly send: SendMessageProcessor;

  constructor(private readonly ctx: BrokerContext) {
    this.send = new SendMessageProcessor(ctx);
  }

  private async push(h: SendMessageRequestHeader, queueId: number, properties: string, body: Buffer, ch: Channel): Promise<{ ok: boolean; remark: string | null }> {
    const senderId = getProperty(properties, 'REPLY_TO_CLIENT');
    const target = senderId ? this.ctx.producerManager.findChannel(senderId) : undefined;
    if (!target) return { ok: false, remark: `push reply message fail, channel of <${senderId}> not found.` };
    const born = bornHostOf(ch);
    const req = RemotingCommand.request(PUSH_REPLY_MESSAGE_TO_CLIENT, {
      producerGroup: h.producerGroup, topic: h.topic, defaultTopic: h.defaultTopic, defaultTopicQueueNums: h.defaultTopicQueueNums,
      queueId, sysFlag: h.sysFlag, bornTimestamp: h.bornTimestamp, flag: h.flag,
      properties: putProperty(properties, 'PUSH_REPLY_TIME', String(Date.now())), reconsumeTimes: h.reconsumeTimes,
      unitMode: h.unitMode, bornHost: `${born.ip}:${born.port}`, storeHost: this.ctx.brokerAddr, storeTimestamp: Date.now(),
    }, body);
    try {
      const res = await target.invoke(req, PUSH_TIMEOUT_MS);
      return res.code === RC.SUCCESS ? { ok: true, remark: null } : { ok: false, remark: res.remark ?? `push reply answered ${res.code}` };
    } catch (e) {
      return { ok: false, remark: `push reply message to ${senderId} failed: ${(e as Error).message}` };
    }
  }

  async processReply(req: RemotingCommand, ch: Channel): Promise<RemotingCommand> {
    const ctx = this.ctx;
    const h = parseSendHeader(req);
    const tcOrErr = this.send.msgCheck(h, ch);
    if (tcOrErr instanceof RemotingCommand) return tcOrErr;
    const queueId = h.queueId < 0 ? Math.floor(Math.random() * tcOrErr.writeQueueNums) : h.queueId;
    const body = bodyOf(req);
    const properties = storedProperties(h.properties, ctx.config.brokerClusterName);
    const pushed = await this.push(h, queueId, properties, body, ch);
    if (!ctx.config.storeReplyMessageEnable) {
      return pushed.ok ? RemotingCommand.response(RC.SUCCESS, null, { msgId: '', queueId, queueOffset: -1 })
        : RemotingCommand.response(RC.SYSTEM_ERROR, pushed.remark);
    }
    const r = await ctx.store.putMessage({
      topic: h.topic, queueId, flag: h.flag, body, properties, sysFlag: h.sysFlag, bornTimestamp: h.bornTimestamp,
      bornHost: bornHostOf(ch), reconsumeTimes: h.reconsumeTimes, preparedTransactionOffset: 0, tagsCode: tagsCodeOf(properties),
    });
    return this.send.putResultResponse(r, queueId, r.msgId);
  }
}

export function requests(ctx: BrokerContext): RequestFamily {
  const p = new ReplyMessageProcessor(ctx);
  return new Map<number, Processor>([
    [SEND_REPLY_MESSAGE, (req, ch) => p.processReply(req, ch)],
    [SEND_REPLY_MESSAGE_V2, (req, ch) => p.processReply(req, ch)],
  ]);
}
