// JSON bodies from brokers and name servers are fastjson output: integer map keys may be unquoted
// and object map keys appear as whole objects. parseFastJson (remoting) reads both; the result is
// read through the decoders of @rmq/remoting (asObject, optField, looseObject, ...).
import { asObject, looseObject, parseFastJson, type JsonObject } from '@rmq/remoting';
import type { MessageQueue } from '../message.js';

/** A reply or request body that is a JSON object; anything else throws JsonDecodeError naming `what`. */
export function parseBody(body: Buffer, what = 'body'): JsonObject {
  return asObject(parseFastJson(body.toString('utf8')), what);
}

/** A MessageQueue as fastjson writes it, an object or (as a map key) its JSON text; missing parts are empty. */
export function messageQueueOf(v: unknown): MessageQueue {
  const o = looseObject(typeof v === 'string' && v.startsWith('{') ? parseFastJson(v) : v);
  const queueId = Number(o.queueId ?? 0);
  return { topic: String(o.topic ?? ''), brokerName: String(o.brokerName ?? ''), queueId: Number.isFinite(queueId) ? queueId : 0 };
}
