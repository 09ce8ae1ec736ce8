// Clients: GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204), QUERY_TOPIC_CONSUME_BY_WHO
// (300), GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309) forwarded to a consumer,
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223).
import {
  asNumeric, asObject, entriesOf, FastJsonMap, optField, parseFastJson, RemotingCommand, RemotingError, RemotingErrorCode, RequestCode,
  ResponseCode, tryDecodeOffsetMsgId,
} from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import { optStr, reqStr } from '../../common/header.js';
import { subscriptionJson } from '../../client/subscription-data.js';
import type { ClientChannelInfo } from '../../client/client-channel.js';
import { CALL_CLIENT_TIMEOUT_MS, Handler, fail, json, ok } from './common.js';

// ---------------------------------------------------------------- 203, 204: connections

/** Names of the 4.9.8 Java LanguageCode enum; mqadmin's fastjson reads another name (NODE_JS) as null. */
export const JAVA_LANGUAGE_CODES = new Set(['JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO', 'PHP', 'OMS', 'RUST']);

export function connectionJson(info: ClientChannelInfo): Record<string, unknown> {
  const language = JAVA_LANGUAGE_CODES.has(info.language) ? info.language : 'OTHER';
  return { clientAddr: info.channel.remoteAddress, clientId: info.clientId, language, version: info.version };
}

export const getConsumerConnectionList: Handler = (ctx, req) => {
  const group = reqStr(req.extFields, 'consumerGroup');
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  if (!g) return fail(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
  const subscriptionTable: Record<string, unknown> = {};
  for (const [topic, sd] of g.subscriptions) subscriptionTable[topic] = subscriptionJson(sd);
  return ok(json({
    connectionSet: [...g.channels.values()].map(connectionJson),
    consumeFromWhere: g.consumeFromWhere,
    consumeType: g.consumeType,
    messageModel: g.messageModel,
    subscriptionTable,
  }));
};

export const getProducerConnectionList: Handler = (ctx, req) => {
  const group = reqStr(req.extFields, 'producerGroup');
  const channels = ctx.producerManager.groups.get(group);
  if (!channels) return fail(ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
  return ok(json({ connectionSet: [...channels.values()].map(connectionJson) }));
};

// ---------------------------------------------------------------- 300, 306, 315

export const queryTopicConsumeByWho: Handler = (ctx, req) => {
  const topic = reqStr(req.extFields, 'topic');
  const groups = new Set(ctx.consumerManager.queryTopicConsumeByWho(topic));
  for (const g of ctx.consumerOffsetManager.whichGroupByTopic(topic)) groups.add(g);
  return ok(json({ groupList: [...groups] }));
};

// ---------------------------------------------------------------- 307, 309: forwarded to a consumer

export async function callConsumer(ctx: BrokerContext, req: RemotingCommand, body: Buffer | null): Promise<RemotingCommand> {
  const group = reqStr(req.extFields, 'consumerGroup');
  const clientId = reqStr(req.extFields, 'clientId');
  const info = ctx.consumerManager.getConsumerGroupInfo(group)?.findChannelByClientId(clientId);
  if (!info) return fail(ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
  const forward = RemotingCommand.request(req.code, { ...req.extFields }, body);
  try {
    return await info.channel.invoke(forward, CALL_CLIENT_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof RemotingError && e.code === RemotingErrorCode.TIMEOUT) {
      return fail(ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: ${e.message}`);
    }
    return fail(ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${(e as Error).message}`);
  }
}

export const getConsumerRunningInfo: Handler = (ctx, req) => callConsumer(ctx, req, req.bodyBuffer());

export const consumeMessageDirectly: Handler = (ctx, req) => {
  const msgId = optStr(req.extFields, 'msgId');
  const decoded = msgId ? tryDecodeOffsetMsgId(msgId) : null;
  const record = decoded ? ctx.store.lookMessageByOffset(decoded.offset) : null;
  if (!record) return fail(ResponseCode.SYSTEM_ERROR, `can not find message by msgId ${msgId ?? ''}`);
  req.setExt('brokerName', ctx.config.brokerName);
  return callConsumer(ctx, req, Buffer.from(record));
};

// ---------------------------------------------------------------- 223: consumer status (getConsumerStatus)

/** MQVersion.Version.V3_0_7_SNAPSHOT.ordinal(): older clients cannot answer 221. */
export const V3_0_7_SNAPSHOT = 28;

/**
 * INVOKE_BROKER_TO_GET_CONSUMER_STATUS: asks each consumer of the group (or only `clientAddr`, a
 * clientId) with GET_CONSUMER_STATUS_FROM_CLIENT (221) and answers GetConsumerStatusBody with
 * consumerTable = clientId -> {MessageQueue: offset}. A client that fails or times out is left out.
 */
export const invokeBrokerToGetConsumerStatus: Handler = async (ctx, req) => {
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const group = reqStr(ext, 'group');
  const origin = optStr(ext, 'clientAddr');
  const onlyOne = origin !== undefined && origin.trim() !== '';
  const g = ctx.consumerManager.getConsumerGroupInfo(group);
  if (!g || g.channels.size === 0) {
    return fail(ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
  }
  const consumerTable: Record<string, FastJsonMap> = {};
  for (const info of [...g.channels.values()]) {
    if (info.version < V3_0_7_SNAPSHOT) {
      return fail(ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${info.version}`);
    }
    if (onlyOne && origin !== info.clientId) continue;
    try {
      const ask = RemotingCommand.request(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group });
      const res = await info.channel.invoke(ask, CALL_CLIENT_TIMEOUT_MS);
      const text = res.code === ResponseCode.SUCCESS ? res.bodyBuffer()?.toString('utf8') : undefined;
      if (text) {
        const what = `consumer status of ${info.clientId}`;
        const parsed = asObject(parseFastJson(text), what);
        const table = new FastJsonMap();
        for (const [k, v] of optField(parsed, 'messageQueueTable', entriesOf(asNumeric), what) ?? []) table.set(parseFastJson(k), v);
        consumerTable[info.clientId] = table;
      }
    } catch (e) {
      ctx.logger.warn(`[get-consumer-status] ${group} ${info.clientId}: ${(e as Error).message}`);
    }
    if (onlyOne) break;
  }
  return ok(json({ consumerTable, messageQueueTable: {} }));
};
