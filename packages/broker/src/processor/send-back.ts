// CONSUMER_SEND_MSG_BACK (36): a consumer failed a message. The stored original is copied to
// %RETRY%<group> through the delay levels (level 3 + reconsumeTimes when the client asks for 0)
// with RETRY_TOPIC / ORIGIN_MESSAGE_ID / WAIT=false set and reconsumeTimes + 1; once it has been
// reconsumed maxReconsumeTimes (or the client asks for a negative level) it goes to %DLQ%<group>.

import {
  RemotingCommand, RequestCode, ResponseCode as RC, decodeConsumerSendMsgBackRequestHeader, type Channel, type Processor,
} from '@rmq/remoting';
import type { MessageInner } from '@rmq/store';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { DLQ_NUMS_PER_GROUP, FAQ_URL, PERM_READ, PERM_WRITE, dlqTopic, isWriteable, retryTopic } from '../common/perm.js';
import {
  PROP_DELAY, PROP_ORIGIN_MESSAGE_ID, PROP_RETRY_TOPIC, PROP_WAIT, getProperty, putProperty, removeProperty, tagsCodeOf,
} from '../common/properties.js';
import { decodeRecord } from '../common/record.js';

/** ali-ons and 3.4.9+ Java clients send maxReconsumeTimes (MQVersion V3_4_9 = 121). */
const V3_4_9 = 121;

export class SendMessageBackProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  async consumerSendMsgBack(req: RemotingCommand, _ch: Channel): Promise<RemotingCommand> {
    const ctx = this.ctx;
    const h = decodeConsumerSendMsgBackRequestHeader(req.extFields);
    const { offset: commitLogOffset, group, unitMode, maxReconsumeTimes: headerMax } = h;
    let delayLevel = h.delayLevel;

    const sgc = ctx.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    if (!sgc) {
      return RemotingCommand.response(RC.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group} ${FAQ_URL}`);
    }
    if (!isWriteable(ctx.config.brokerPermission)) {
      return RemotingCommand.response(RC.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] sending message is forbidden`);
    }
    if (sgc.retryQueueNums <= 0) return RemotingCommand.response(RC.SUCCESS, null);

    let newTopic = retryTopic(group);
    let queueId = Math.floor(Math.random() * sgc.retryQueueNums);
    const topicSysFlag = unitMode ? 1 : 0;
    let tc = ctx.topicConfigManager.createTopicInSendMessageBackMethod(newTopic, sgc.retryQueueNums, PERM_WRITE | PERM_READ, topicSysFlag);
    if (!isWriteable(tc.perm)) {
      return RemotingCommand.response(RC.NO_PERMISSION, `the topic[${newTopic}] sending message is forbidden`);
    }
    const record = ctx.store.lookMessageByOffset(commitLogOffset);
    if (!record) return RemotingCommand.response(RC.SYSTEM_ERROR, `look message by offset failed, ${commitLogOffset}`);
    let msg;
    try {
      msg = decodeRecord(record);
    } catch (e) {
      return RemotingCommand.response(RC.SYSTEM_ERROR, `look message by offset failed, ${commitLogOffset}: ${(e as Error).message}`);
    }

    let props = msg.properties;
    if (getProperty(props, PROP_RETRY_TOPIC) === undefined) props = putProperty(props, PROP_RETRY_TOPIC, msg.topic);
    props = putProperty(props, PROP_WAIT, 'false');

    const maxReconsumeTimes = headerMax !== undefined && req.version >= V3_4_9 ? headerMax : sgc.retryMaxTimes;
    let toDlq = false;
    if (msg.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0) {
      toDlq = true;
      newTopic = dlqTopic(group);
      queueId = Math.floor(Math.random() * DLQ_NUMS_PER_GROUP);
      tc = ctx.topicConfigManager.createTopicInSendMessageBackMethod(newTopic, DLQ_NUMS_PER_GROUP, PERM_WRITE, 0);
      // Straight into the DLQ: a DELAY left by an earlier retry must not stage it again.
      props = removeProperty(props, PROP_DELAY);
    } else {
      if (delayLevel === 0) delayLevel = 3 + msg.reconsumeTimes;
      props = putProperty(props, PROP_DELAY, String(delayLevel));
    }
    const originMsgId = getProperty(props, PROP_ORIGIN_MESSAGE_ID);
    if (!originMsgId) props = putProperty(props, PROP_ORIGIN_MESSAGE_ID, msg.offsetMsgId);

    let topic = newTopic;
    let tagsCode = tagsCodeOf(props);
    if (!toDlq) {
      ({ topic, queueId, properties: props, tagsCode } = ctx.scheduleMessageService.stage(newTopic, queueId, props, delayLevel));
    }
    const inner: MessageInner = {
      topic, queueId, flag: msg.flag, body: Buffer.from(msg.body), properties: props, sysFlag: msg.sysFlag & ~0x30,
      bornTimestamp: msg.bornTimestamp,
      bornHost: msg.bornHost.ip.includes(':') ? { ip: '127.0.0.1', port: msg.bornHost.port } : msg.bornHost,
      reconsumeTimes: msg.reconsumeTimes + 1, preparedTransactionOffset: msg.preparedTransactionOffset, tagsCode,
    };
    const r = await ctx.store.putMessage(inner);
    if (r.status === 'PUT_OK') return RemotingCommand.response(RC.SUCCESS, null);
    return RemotingCommand.response(RC.SYSTEM_ERROR, r.status);
  }
}

export function requests(ctx: BrokerContext): RequestFamily {
  const p = new SendMessageBackProcessor(ctx);
  return new Map<number, Processor>([
    [RequestCode.CONSUMER_SEND_MSG_BACK, (req, ch) => p.consumerSendMsgBack(req, ch)],
  ]);
}
