// HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38) and
// CHECK_CLIENT_CONFIG (46). A consumer's first heartbeat creates %RETRY%<group> (retryQueueNums
// queues, perm 6) and registers its subscriptions; membership changes notify the group (40).

import {
  arrayOf, asBoolean, asObject, asString, optField, parseFastJson, RemotingCommand, RequestCode, ResponseCode as RC,
  type Channel, type Decoder, type JsonObject, type Processor,
} from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import type { ClientChannelInfo } from '../client/client-channel.js';
import { buildSubscriptionData, isTagType, subscriptionFromHeartbeat, type SubscriptionData } from '../client/subscription-data.js';
import { optStr, reqStr } from '../common/header.js';
import { PERM_READ, PERM_WRITE, retryTopic } from '../common/perm.js';
import { compileSql92 } from '../filter/sql92.js';
import { bodyOf } from './send-message.js';

interface HeartbeatConsumerData {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptionDataSet: JsonObject[];
  unitMode: boolean;
}

interface HeartbeatData {
  clientId: string;
  consumerDataSet: HeartbeatConsumerData[];
  producerGroups: string[];
}

function jsonBody(req: RemotingCommand, what: string): JsonObject {
  const body = bodyOf(req);
  if (body.length === 0) throw new Error('request body is empty');
  return asObject(parseFastJson(body.toString('utf8')), what);
}

const consumerData: Decoder<HeartbeatConsumerData> = (v, what) => {
  const o = asObject(v, what);
  return {
    groupName: optField(o, 'groupName', asString, what) ?? '',
    consumeType: optField(o, 'consumeType', asString, what) ?? 'CONSUME_PASSIVELY',
    messageModel: optField(o, 'messageModel', asString, what) ?? 'CLUSTERING',
    consumeFromWhere: optField(o, 'consumeFromWhere', asString, what) ?? 'CONSUME_FROM_LAST_OFFSET',
    subscriptionDataSet: optField(o, 'subscriptionDataSet', arrayOf(asObject), what) ?? [],
    unitMode: optField(o, 'unitMode', asBoolean, what) ?? false,
  };
};

const producerGroup: Decoder<string> = (v, what) => optField(asObject(v, what), 'groupName', asString, what) ?? '';

/** HeartbeatData: a field of the wrong type throws JsonDecodeError naming it. */
export function decodeHeartbeat(v: unknown, what = 'heartbeat body'): HeartbeatData {
  const o = asObject(v, what);
  return {
    clientId: optField(o, 'clientID', asString, what) ?? '',
    consumerDataSet: optField(o, 'consumerDataSet', arrayOf(consumerData), what) ?? [],
    producerGroups: optField(o, 'producerDataSet', arrayOf(producerGroup), what) ?? [],
  };
}

export class ClientManageProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  heartBeat(req: RemotingCommand, ch: Channel): RemotingCommand {
    const ctx = this.ctx;
    let hb: HeartbeatData;
    try {
      hb = decodeHeartbeat(jsonBody(req, 'heartbeat body'));
    } catch (e) {
      return RemotingCommand.response(RC.SYSTEM_ERROR, `heartbeat body is illegal: ${(e as Error).message}`);
    }
    const clientId = hb.clientId;
    const now = Date.now();
    const info = (): ClientChannelInfo => ({ channel: ch, clientId, language: req.language, version: req.version, lastUpdateTimestamp: now });
    for (const cd of hb.consumerDataSet) {
      const group = cd.groupName;
      if (!group) continue;
      const sgc = ctx.subscriptionGroupManager.findSubscriptionGroupConfig(group);
      let notify = true;
      if (sgc) {
        notify = sgc.notifyConsumerIdsChangedEnable;
        const topicSysFlag = cd.unitMode ? 1 : 0;
        ctx.topicConfigManager.createTopicInSendMessageBackMethod(retryTopic(group), sgc.retryQueueNums, PERM_WRITE | PERM_READ, topicSysFlag);
      }
      const subs: SubscriptionData[] = cd.subscriptionDataSet.map(subscriptionFromHeartbeat);
      ctx.consumerManager.registerConsumer(group, info(), cd.consumeType, cd.messageModel, cd.consumeFromWhere, subs, notify);
    }
    for (const group of hb.producerGroups) {
      if (group) ctx.producerManager.registerProducer(group, info());
    }
    return RemotingCommand.response(RC.SUCCESS, null);
  }

  unregisterClient(req: RemotingCommand, ch: Channel): RemotingCommand {
    const ext = req.extFields;
    reqStr(ext, 'clientID');
    const producerGroup = optStr(ext, 'producerGroup');
    const consumerGroup = optStr(ext, 'consumerGroup');
    if (producerGroup) this.ctx.producerManager.unregisterProducer(producerGroup, ch);
    if (consumerGroup) {
      const sgc = this.ctx.subscriptionGroupManager.findSubscriptionGroupConfig(consumerGroup);
      const notify = sgc ? sgc.notifyConsumerIdsChangedEnable : true;
      this.ctx.consumerManager.unregisterConsumer(consumerGroup, ch, notify);
    }
    return RemotingCommand.response(RC.SUCCESS, null, {});
  }

  getConsumerListByGroup(req: RemotingCommand): RemotingCommand {
    const group = reqStr(req.extFields, 'consumerGroup');
    const info = this.ctx.consumerManager.getConsumerGroupInfo(group);
    if (info) {
      const ids = info.allClientIds();
      if (ids.length > 0) {
        return RemotingCommand.response(RC.SUCCESS, null, {}, Buffer.from(JSON.stringify({ consumerIdList: ids })));
      }
    }
    return RemotingCommand.response(RC.SYSTEM_ERROR, `no consumer for this group, ${group}`);
  }

  checkClientConfig(req: RemotingCommand): RemotingCommand {
    let sd: { topic: string; subString: string | undefined; expressionType: string | undefined } | undefined;
    try {
      const what = 'check client config body';
      const o = optField(jsonBody(req, what), 'subscriptionData', asObject, what);
      const sdWhat = `${what}.subscriptionData`;
      sd = o && {
        topic: optField(o, 'topic', asString, sdWhat) ?? '',
        subString: optField(o, 'subString', asString, sdWhat),
        expressionType: optField(o, 'expressionType', asString, sdWhat),
      };
    } catch (e) {
      return RemotingCommand.response(RC.SYSTEM_ERROR, `check client config body is illegal: ${(e as Error).message}`);
    }
    if (!sd) return RemotingCommand.response(RC.SUCCESS, null);
    const type = sd.expressionType || 'TAG';
    if (isTagType(type)) return RemotingCommand.response(RC.SUCCESS, null);
    if (!this.ctx.config.enablePropertyFilter) {
      return RemotingCommand.response(RC.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${type}`);
    }
    if (type !== 'SQL92') {
      return RemotingCommand.response(RC.SUBSCRIPTION_PARSE_FAILED, `Unsupported expression type: ${type}`);
    }
    try {
      const built = buildSubscriptionData(sd.topic, sd.subString, type, 0);
      compileSql92(built.subString);
    } catch (e) {
      return RemotingCommand.response(RC.SUBSCRIPTION_PARSE_FAILED, (e as Error).message);
    }
    return RemotingCommand.response(RC.SUCCESS, null);
  }
}

export function requests(ctx: BrokerContext): RequestFamily {
  const p = new ClientManageProcessor(ctx);
  return new Map<number, Processor>([
    [RequestCode.HEART_BEAT, (req, ch) => p.heartBeat(req, ch)],
    [RequestCode.UNREGISTER_CLIENT, (req, ch) => p.unregisterClient(req, ch)],
    [RequestCode.GET_CONSUMER_LIST_BY_GROUP, (req) => p.getConsumerListByGroup(req)],
    [RequestCode.CHECK_CLIENT_CONFIG, (req) => p.checkClientConfig(req)],
  ]);
}
