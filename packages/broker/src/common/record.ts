// Reading fields of a stored message record (the V1 commit log layout, also the pull reply body)
// through @rmq/remoting's one record decoder. The broker only reads records here (schedule delivery,
// send-back, transactions, SQL92 filtering, admin inspection); the store owns writing them.
import { MESSAGE_MAGIC_CODE_V1, createOffsetMsgId, decodeStoredRecord, recordPropertiesText, type StoredRecord } from '@rmq/remoting';

export const MAGIC_V1 = MESSAGE_MAGIC_CODE_V1;

/** A decoded record as the broker reads it: hosts split into ip and port, properties as their text. */
export interface StoredMessage extends Pick<StoredRecord,
  'queueId' | 'flag' | 'queueOffset' | 'commitLogOffset' | 'sysFlag' | 'bornTimestamp' | 'storeTimestamp' | 'reconsumeTimes'
  | 'preparedTransactionOffset' | 'body' | 'topic' | 'offsetMsgId'> {
  totalSize: number;
  bornHost: { ip: string; port: number };
  storeHost: { ip: string; port: number };
  properties: string;
}

function splitHost(hostPort: string): { ip: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { ip: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
}

/** Decodes one record starting at `at`; throws on a size or magic mismatch or a truncated field. */
export function decodeRecord(buf: Buffer, at = 0): StoredMessage {
  const r = decodeStoredRecord(buf, at);
  return {
    totalSize: r.storeSize, queueId: r.queueId, flag: r.flag, queueOffset: r.queueOffset, commitLogOffset: r.commitLogOffset,
    sysFlag: r.sysFlag, bornTimestamp: r.bornTimestamp, bornHost: splitHost(r.bornHost), storeTimestamp: r.storeTimestamp,
    storeHost: splitHost(r.storeHost), reconsumeTimes: r.reconsumeTimes, preparedTransactionOffset: r.preparedTransactionOffset,
    body: r.body, topic: r.topic, properties: r.propertiesText, offsetMsgId: r.offsetMsgId,
  };
}

/** Only the properties of a record (SQL92 filtering), without decoding the rest. */
export function recordProperties(buf: Buffer): string {
  return recordPropertiesText(buf, 0);
}

/** The offset message id of an IPv4 store host (the shared encoder of @rmq/remoting). */
export function offsetMsgId(host: { ip: string; port: number }, commitLogOffset: number): string {
  return createOffsetMsgId(host.ip, host.port, commitLogOffset);
}
