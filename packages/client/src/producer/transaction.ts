// Transactional sends (two-phase): the half message, the local transaction, END_TRANSACTION, and the
// answer to a broker's CHECK_TRANSACTION_STATE. Moved out of producer.ts; the Producer delegates.
import type { Message, MessageExt } from '../message.js';
import { decodeOffsetMsgId } from '../message.js';
import { MessageConst } from '../protocol.js';
import { MQClientError } from '../errors.js';
import type { SendResult } from '../instance/mq-client-api.js';
import type { SendOptions } from './producer.js';
import type { ProducerHost } from './producer-host.js';

/** Local transaction outcome; UNKNOW (sic, the Java spelling) leaves the decision to a later check. */
export type LocalTransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

export interface TransactionListener {
  /** Runs after the half message is stored; its answer commits or rolls the message back. */
  executeLocalTransaction(msg: Message, arg: unknown, result: SendResult): LocalTransactionState | Promise<LocalTransactionState>;
  /** The broker asks again about a half message left UNKNOW (CHECK_TRANSACTION_STATE). */
  checkLocalTransaction(msg: MessageExt): LocalTransactionState | Promise<LocalTransactionState>;
}

export interface TransactionSendResult extends SendResult {
  localTransactionState: LocalTransactionState;
}

const TRANSACTION_STATE_CODE: Record<LocalTransactionState, number> = { COMMIT_MESSAGE: 8, ROLLBACK_MESSAGE: 12, UNKNOW: 0 };


/**
 * Two-phase send: the message is stored as a half message (TRAN_MSG, sysFlag 4), the listener's
 * local transaction runs, and END_TRANSACTION commits (8) or rolls back (12) or leaves it to a
 * later CHECK_TRANSACTION_STATE (0, UNKNOW).
 */
export async function sendMessageInTransaction(host: ProducerHost, msg: Message, arg?: unknown, opts?: Pick<SendOptions, 'signal' | 'timeoutMs'>): Promise<TransactionSendResult> {
  const listener = host.transactionListener();
  if (!listener) throw new MQClientError('TransactionListener is null: pass transactionListener in the Producer options');
  if (msg.delayTimeLevel) throw new MQClientError('delay level is not supported for transaction messages');
  const p = host.prepare(msg);
  p.properties.set(MessageConst.TRANSACTION_PREPARED, 'true');
  p.properties.set(MessageConst.PRODUCER_GROUP, host.groupName);
  const uniqMsgId = p.properties.get(MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? '';
  const r = await host.sendPrepared({ ...p, batch: false, uniqMsgId }, opts);
  let state: LocalTransactionState = 'ROLLBACK_MESSAGE';
  let remark: string | undefined;
  if (r.status === 'SEND_OK') {
    try {
      state = (await listener.executeLocalTransaction(msg, arg, { ...r, transactionId: r.transactionId ?? uniqMsgId })) ?? 'UNKNOW';
    } catch (e) {
      state = 'UNKNOW';
      remark = `executeLocalTransactionBranch exception: ${(e as Error).message}`;
    }
  }
  await endTransaction(host, r, state, remark).catch((e) => host.warn(`END_TRANSACTION for ${uniqMsgId}: ${(e as Error).message}`));
  return { ...r, localTransactionState: state };
}

async function endTransaction(host: ProducerHost, r: SendResult, state: LocalTransactionState, remark?: string): Promise<void> {
  const addr = await host.brokerAddr(r.queue);
  const { commitLogOffset } = decodeOffsetMsgId(r.offsetMsgId);
  await host.instance().api.endTransactionOneway(addr, {
    producerGroup: host.groupName, tranStateTableOffset: r.queueOffset, commitLogOffset,
    commitOrRollback: TRANSACTION_STATE_CODE[state], fromTransactionCheck: false, msgId: r.msgId,
    ...(r.transactionId ? { transactionId: r.transactionId } : {}), brokerName: r.queue.brokerName,
  }, remark);
}

/** CHECK_TRANSACTION_STATE from a broker: ask the listener, answer with END_TRANSACTION. */
export function checkTransactionState(host: ProducerHost, brokerAddr: string, msg: MessageExt, header: Record<string, string>): void {
  const listener = host.transactionListener();
  if (!listener) return;
  void (async () => {
    let state: LocalTransactionState = 'UNKNOW';
    let remark: string | undefined;
    try {
      state = (await listener.checkLocalTransaction(msg)) ?? 'UNKNOW';
    } catch (e) {
      remark = `checkLocalTransactionState Exception: ${(e as Error).message}`;
    }
    await host.instance().api.endTransactionOneway(brokerAddr, {
      producerGroup: host.groupName, tranStateTableOffset: Number(header['tranStateTableOffset'] ?? 0),
      commitLogOffset: Number(header['commitLogOffset'] ?? msg.commitLogOffset), commitOrRollback: TRANSACTION_STATE_CODE[state],
      fromTransactionCheck: true, msgId: msg.properties[MessageConst.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? header['msgId'] ?? msg.msgId,
      ...(header['transactionId'] ? { transactionId: header['transactionId'] } : {}),
    }, remark);
  })().catch((e) => host.warn(`answer to CHECK_TRANSACTION_STATE: ${(e as Error).message}`));
}

