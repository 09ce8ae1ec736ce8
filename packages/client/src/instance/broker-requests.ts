// Answers to broker-initiated requests (the seven codes a broker sends to a client): consumer ids
// changed (40, rebalance now), transaction check-back (39), running info (307), offset reset (220),
// consumer status (221), consume directly (309) and request-reply replies (326). The client instance
// registers each on its connections; what they need from it comes through BrokerRequestHost.
import { inflateSync } from 'node:zlib';
import { asNumeric, entriesOf, optField, RemotingCommand, type Processor } from '@rmq/remoting';
import type { MessageExt, MessageQueue } from '../message.js';
import { decodeMessage, stringToProperties } from '../message.js';
import { MessageConst, RequestCode, ResponseCode } from '../protocol.js';
import type { ClientLogger } from '../logger.js';
import type { ConsumerInner, ProducerInner } from './mq-client-instance.js';
import { messageQueueOf, parseBody } from './json.js';

export interface BrokerRequestHost {
  readonly log: ClientLogger;
  producer(group: string): ProducerInner | undefined;
  consumer(group: string): ConsumerInner | undefined;
  /** A consumer group's membership changed: rebalance soon. */
  rebalanceNow(): void;
  /** Hands a reply to the request waiting on `correlationId`; false when none waits. */
  completeRequest(correlationId: string, reply: MessageExt): boolean;
}

/** Request code -> handler, for every request a broker may send to this client. */
export function brokerRequestHandlers(host: BrokerRequestHost): Map<number, Processor> {
  const handlers = new Map<number, Processor>();
  const ok = (body?: Buffer | null) => RemotingCommand.response(ResponseCode.SUCCESS, null, null, body ?? null);
  const err = (remark: string) => RemotingCommand.response(ResponseCode.SYSTEM_ERROR, remark, null, null);
  const ext = (req: RemotingCommand) => req.extFields ?? {};
  const body = (req: RemotingCommand): Buffer | null => (req.body ? (Array.isArray(req.body) ? Buffer.concat(req.body) : req.body) : null);

  handlers.set(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
    host.log.info(`consumer ids of ${ext(req)['consumerGroup']} changed: rebalance now`);
    host.rebalanceNow();
    return null;
  });

  handlers.set(RequestCode.CHECK_TRANSACTION_STATE, (req, ch) => {
    const b = body(req);
    if (!b) return null;
    try {
      const { msg } = decodeMessage(b, 0);
      const group = msg.properties[MessageConst.PRODUCER_GROUP];
      const p = group ? host.producer(group) : undefined;
      if (p?.checkTransactionState) p.checkTransactionState(ch.remoteAddress, msg, ext(req));
      else host.log.warn(`CHECK_TRANSACTION_STATE for group ${group}: no transaction producer registered`);
    } catch (e) {
      host.log.warn(`CHECK_TRANSACTION_STATE: ${(e as Error).message}`);
    }
    return null;
  });

  handlers.set(RequestCode.GET_CONSUMER_RUNNING_INFO, (req) => {
    const c = host.consumer(ext(req)['consumerGroup'] ?? '');
    if (!c) return err(`The Consumer Group <${ext(req)['consumerGroup']}> not exist in this consumer`);
    return ok(Buffer.from(c.runningInfo()));
  });

  handlers.set(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, async (req) => {
    const e = ext(req);
    const c = host.consumer(e['group'] ?? '');
    const b = body(req);
    if (c && b) {
      const what = 'reset offset body';
      const table = optField(parseBody(b, what), 'offsetTable', entriesOf(asNumeric), what) ?? [];
      const offsets: Array<{ mq: MessageQueue; offset: number }> = [];
      for (const [k, offset] of table) if (k.startsWith('{')) offsets.push({ mq: messageQueueOf(k), offset });
      await c.resetOffset(e['topic'] ?? '', offsets);
    }
    return ok();
  });

  handlers.set(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, (req) => {
    const e = ext(req);
    const c = host.consumer(e['group'] ?? '');
    const list = c?.consumerStatus?.(e['topic'] ?? '') ?? [];
    const entries = list.map(({ mq, offset }) => `${JSON.stringify({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic })}:${offset}`);
    return ok(Buffer.from(`{"messageQueueTable":{${entries.join(',')}}}`));
  });

  handlers.set(RequestCode.CONSUME_MESSAGE_DIRECTLY, async (req) => {
    const e = ext(req);
    const c = host.consumer(e['consumerGroup'] ?? '');
    const b = body(req);
    if (!c?.consumeMessageDirectly || !b) return err(`The Consumer Group <${e['consumerGroup']}> not exist in this consumer`);
    const { msg } = decodeMessage(b, 0, e['brokerName'] ?? '');
    const r = await c.consumeMessageDirectly(msg, e['brokerName'] ?? '');
    return ok(Buffer.from(JSON.stringify(r)));
  });

  handlers.set(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, (req) => {
    const e = ext(req);
    let b = body(req) ?? Buffer.alloc(0);
    const sysFlag = Number(e['sysFlag'] ?? 0);
    try {
      if (sysFlag & 1) b = inflateSync(b);
    } catch (x) {
      return err(`bad compressed reply body: ${(x as Error).message}`);
    }
    const properties = stringToProperties(e['properties'] ?? '');
    const msg: MessageExt = {
      topic: e['topic'] ?? '', body: b, tags: properties[MessageConst.TAGS], keys: properties[MessageConst.KEYS], properties,
      msgId: properties[MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? '', offsetMsgId: '', queueId: Number(e['queueId'] ?? 0),
      queueOffset: 0, commitLogOffset: 0, sysFlag, flag: Number(e['flag'] ?? 0), bornTimestamp: Number(e['bornTimestamp'] ?? 0),
      bornHost: e['bornHost'] ?? '', storeTimestamp: Number(e['storeTimestamp'] ?? 0), storeHost: e['storeHost'] ?? '',
      reconsumeTimes: Number(e['reconsumeTimes'] ?? 0), preparedTransactionOffset: 0, bodyCRC: 0, storeSize: 0, brokerName: '',
    };
    const id = properties[MessageConst.CORRELATION_ID];
    if (!id || !host.completeRequest(id, msg)) {
      host.log.warn(`reply message without a waiting request: correlationId ${id}`);
    }
    return ok();
  });
  return handlers;
}
