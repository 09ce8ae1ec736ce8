// END_TRANSACTION (37, usually oneway): commit (8) re-puts the half message to its real topic
// with the COMMIT sysFlag; rollback (12) only records the resolution; unknown (0) leaves it for
// the check-back. The header must match the half message (group, offsets), as Apache checks.

import { RemotingCommand, RequestCode, ResponseCode as RC, decodeEndTransactionRequestHeader, type Processor } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { PROP_PGROUP, PROP_REAL_QID, PROP_REAL_TOPIC, getProperty, removeProperty, tagsCodeOf } from '../common/properties.js';
import { decodeRecord } from '../common/record.js';
import { TRANS_HALF_TOPIC } from '../common/perm.js';
import { TRANSACTION_COMMIT_TYPE, TRANSACTION_ROLLBACK_TYPE } from '../transaction/transactional-message-service.js';

export async function endTransaction(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand | null> {
  const { producerGroup, tranStateTableOffset, commitLogOffset, commitOrRollback } = decodeEndTransactionRequestHeader(req.extFields);
  if (ctx.config.brokerRole === 'SLAVE') {
    return RemotingCommand.response(RC.SLAVE_NOT_AVAILABLE, 'Slave broker can not process end transaction request');
  }
  if (commitOrRollback !== TRANSACTION_COMMIT_TYPE && commitOrRollback !== TRANSACTION_ROLLBACK_TYPE) return null;
  const record = ctx.store.lookMessageByOffset(commitLogOffset);
  if (!record) return RemotingCommand.response(RC.SYSTEM_ERROR, 'Find prepared transaction message failed');
  const half = decodeRecord(record);
  if (half.topic !== TRANS_HALF_TOPIC) return RemotingCommand.response(RC.SYSTEM_ERROR, 'Find prepared transaction message failed');
  if (getProperty(half.properties, PROP_PGROUP) !== producerGroup) {
    return RemotingCommand.response(RC.SYSTEM_ERROR, 'The producer group wrong');
  }
  if (half.queueOffset !== tranStateTableOffset) {
    return RemotingCommand.response(RC.SYSTEM_ERROR, 'The transaction state table offset wrong');
  }
  const tx = ctx.transactionalMessageService;
  if (tx.isResolved(half.queueOffset)) return RemotingCommand.response(RC.SUCCESS, null);
  if (commitOrRollback === TRANSACTION_COMMIT_TYPE) {
    const realTopic = getProperty(half.properties, PROP_REAL_TOPIC);
    const realQid = Number(getProperty(half.properties, PROP_REAL_QID) ?? 0);
    if (!realTopic) return RemotingCommand.response(RC.SYSTEM_ERROR, 'Find prepared transaction message failed');
    const properties = removeProperty(removeProperty(half.properties, 'TRAN_MSG'), 'TRANSACTION_CHECK_TIMES');
    const r = await ctx.store.putMessage({
      topic: realTopic, queueId: realQid, flag: half.flag, body: Buffer.from(half.body), properties,
      sysFlag: (half.sysFlag & ~(TRANSACTION_ROLLBACK_TYPE | 0x30)) | TRANSACTION_COMMIT_TYPE,
      bornTimestamp: half.bornTimestamp,
      bornHost: half.bornHost.ip.includes(':') ? { ip: '127.0.0.1', port: half.bornHost.port } : half.bornHost,
      reconsumeTimes: half.reconsumeTimes, preparedTransactionOffset: half.commitLogOffset, tagsCode: tagsCodeOf(properties),
    });
    if (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') return RemotingCommand.response(RC.SYSTEM_ERROR, r.status);
  }
  await tx.markResolved(half);
  return RemotingCommand.response(RC.SUCCESS, null);
}

export function requests(ctx: BrokerContext): RequestFamily {
  return new Map<number, Processor>([
    [RequestCode.END_TRANSACTION, (req) => endTransaction(ctx, req)],
  ]);
}
