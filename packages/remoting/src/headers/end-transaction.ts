// END_TRANSACTION (37, usually oneway): EndTransactionRequestHeader. producerGroup,
// tranStateTableOffset, commitLogOffset and commitOrRollback (0 unknown, 8 commit, 12 rollback)
// mandatory; fromTransactionCheck, msgId, transactionId and bname optional (our broker has never
// refused a request without msgId, so it stays optional here). The reply has no header fields.

import { optBool, optStr, reqInt, reqStr, withBrokerName, type HeaderExt } from './fields.js';

export interface EndTransactionRequestHeader {
  producerGroup: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  commitOrRollback: number;
  fromTransactionCheck: boolean;
  msgId?: string | undefined;
  transactionId?: string | undefined;
  brokerName?: string | undefined;
}

export function decodeEndTransactionRequestHeader(ext: HeaderExt): EndTransactionRequestHeader {
  return {
    producerGroup: reqStr(ext, 'producerGroup'),
    tranStateTableOffset: reqInt(ext, 'tranStateTableOffset'),
    commitLogOffset: reqInt(ext, 'commitLogOffset'),
    commitOrRollback: reqInt(ext, 'commitOrRollback'),
    fromTransactionCheck: optBool(ext, 'fromTransactionCheck') ?? false,
    msgId: optStr(ext, 'msgId'),
    transactionId: optStr(ext, 'transactionId'),
    brokerName: optStr(ext, 'bname'),
  };
}

/** In the client's order: producerGroup, tranStateTableOffset, commitLogOffset, commitOrRollback, fromTransactionCheck, [msgId], [transactionId], [bname]. */
export function encodeEndTransactionRequestHeader(h: EndTransactionRequestHeader): Record<string, string> {
  const f: Record<string, string> = {
    producerGroup: h.producerGroup, tranStateTableOffset: String(h.tranStateTableOffset), commitLogOffset: String(h.commitLogOffset),
    commitOrRollback: String(h.commitOrRollback), fromTransactionCheck: String(h.fromTransactionCheck),
  };
  if (h.msgId !== undefined) f['msgId'] = h.msgId;
  if (h.transactionId !== undefined) f['transactionId'] = h.transactionId;
  return withBrokerName(f, h.brokerName);
}
