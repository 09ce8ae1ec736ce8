// LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) for orderly consumers. Bodies are JSON:
// {consumerGroup, clientId, mqSet:[{topic, brokerName, queueId}]} -> {lockOKMQSet:[...]}.

import {
  arrayOf, asNumeric, asObject, asString, optField, parseFastJson, RemotingCommand, RequestCode, ResponseCode as RC,
  type Decoder, type Processor,
} from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import type { MessageQueue } from '../client/rebalance-lock-manager.js';
import { bodyOf } from './send-message.js';

const LOCK = 'lock request body';

const mqOf: Decoder<MessageQueue> = (v, what) => {
  const m = asObject(v, what);
  return {
    topic: optField(m, 'topic', asString, what) ?? '',
    brokerName: optField(m, 'brokerName', asString, what) ?? '',
    queueId: optField(m, 'queueId', asNumeric, what) ?? 0,
  };
};

function parseLockBody(req: RemotingCommand): { group: string; clientId: string; mqs: MessageQueue[] } {
  const body = bodyOf(req);
  if (body.length === 0) throw new Error('lock request body is empty');
  const b = asObject(parseFastJson(body.toString('utf8')), LOCK);
  const group = optField(b, 'consumerGroup', asString, LOCK);
  const clientId = optField(b, 'clientId', asString, LOCK);
  if (!group || !clientId) throw new Error('lock request body lacks consumerGroup or clientId');
  return { group, clientId, mqs: optField(b, 'mqSet', arrayOf(mqOf), LOCK) ?? [] };
}

const mqJson = (mq: MessageQueue): Record<string, unknown> => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic });

/** A handler for a lock body (group, clientId, mqSet); a body that does not parse is SYSTEM_ERROR. */
function withLockBody(handle: (body: ReturnType<typeof parseLockBody>) => RemotingCommand): Processor {
  return (req) => {
    let parsed;
    try {
      parsed = parseLockBody(req);
    } catch (e) {
      return RemotingCommand.response(RC.SYSTEM_ERROR, (e as Error).message);
    }
    return handle(parsed);
  };
}

export function requests(ctx: BrokerContext): RequestFamily {
  const lockBatch = withLockBody((parsed) => {
    const ok = ctx.rebalanceLockManager.tryLockBatch(parsed.group, parsed.mqs, parsed.clientId);
    return RemotingCommand.response(RC.SUCCESS, null, null, Buffer.from(JSON.stringify({ lockOKMQSet: ok.map(mqJson) })));
  });
  const unlockBatch = withLockBody((parsed) => {
    ctx.rebalanceLockManager.unlockBatch(parsed.group, parsed.mqs, parsed.clientId);
    return RemotingCommand.response(RC.SUCCESS, null);
  });
  return new Map<number, Processor>([
    [RequestCode.LOCK_BATCH_MQ, lockBatch],
    [RequestCode.UNLOCK_BATCH_MQ, unlockBatch],
  ]);
}
