// Message lookup for tools: QUERY_MESSAGE (12) by key through the IndexFile, and
// VIEW_MESSAGE_BY_ID (33) by commit-log offset (decoded by the client from an offset message id).
// Both reply with stored V1 records as the body, exactly as they sit in the commit log.

import { RemotingCommand, RequestCode, ResponseCode, type Processor } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { optStr, reqInt, reqLong, reqStr } from '../common/header.js';

/** Apache's defaultQueryMaxNum (unique-key queries) and maxMsgsNumBatch (any query). */
export const QUERY_UNIQUE_MAX_NUM = 32;
export const QUERY_MAX_NUM = 64;
const UNIQUE_KEY_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

export function queryMessage(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const ext = req.extFields;
  const topic = reqStr(ext, 'topic');
  const key = reqStr(ext, 'key');
  let maxNum = reqInt(ext, 'maxNum');
  // mqadmin queryMsgByKey / queryMsgByUniqueKey send endTimestamp = Long.MAX_VALUE.
  const beginMs = reqLong(ext, 'beginTimestamp');
  const endMs = reqLong(ext, 'endTimestamp');
  if (optStr(ext, UNIQUE_KEY_QUERY_FLAG) === 'true') maxNum = QUERY_UNIQUE_MAX_NUM;
  maxNum = Math.max(0, Math.min(maxNum, QUERY_MAX_NUM));
  const r = ctx.store.queryMessage(topic, key, maxNum, beginMs, endMs);
  const header = {
    indexLastUpdateTimestamp: r.indexLastUpdateTimestamp,
    indexLastUpdatePhyoffset: r.indexLastUpdatePhyoffset,
  };
  const total = r.buffers.reduce((n, b) => n + b.length, 0);
  if (total > 0) return RemotingCommand.response(ResponseCode.SUCCESS, null, header, r.buffers);
  return RemotingCommand.response(ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct', header);
}

export function viewMessageById(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const offset = reqInt(req.extFields, 'offset');
  const record = offset >= 0 ? ctx.store.lookMessageByOffset(offset) : null;
  if (record) return RemotingCommand.response(ResponseCode.SUCCESS, null, null, record);
  return RemotingCommand.response(ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
}

export function requests(ctx: BrokerContext): RequestFamily {
  return new Map<number, Processor>([
    [RequestCode.QUERY_MESSAGE, (req) => queryMessage(ctx, req)],
    [RequestCode.VIEW_MESSAGE_BY_ID, (req) => viewMessageById(ctx, req)],
  ]);
}
