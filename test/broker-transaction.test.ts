// Transactional messages spoken raw, as the 4.9.8 Java producer does (fixtures transaction*.json):
// prepared sends stay invisible in RMQ_SYS_TRANS_HALF_TOPIC; END_TRANSACTION commits or rolls
// back; an unresolved one is checked back (CHECK_TRANSACTION_STATE, 39) with its producer group.
import t from 'tap';
import { RemotingClient, RemotingCommand } from '../packages/remoting/dist/index.js';
import { decodeRecord } from '../packages/broker/src/common/record.js';
import { createTopic, startCluster, waitFor } from './helpers/broker-cluster.js';

t.test('half messages, commit, rollback and check-back', async (t) => {
  const c = await startCluster(t, { transactionTimeOut: 300, transactionCheckInterval: 1000 });
  await createTopic(c, 'TxTopic');
  const checks: RemotingCommand[] = [];
  const client = new RemotingClient();
  t.teardown(() => client.close());
  client.registerProcessor(39, (req) => { checks.push(req); return null; });
  const addr = c.broker.brokerAddr;
  const hb = await client.invoke(addr, RemotingCommand.request(34, {}, Buffer.from(JSON.stringify({
    clientID: '192.0.2.2@tx', consumerDataSet: [], producerDataSet: [{ groupName: 'TxGroup' }] }))), 3000);
  t.equal(hb.code, 0);
  const send = (key: string, queueId: number) => client.invoke(addr, RemotingCommand.request(310, {
    a: 'TxGroup', b: 'TxTopic', c: 'TBW102', d: 4, e: queueId, f: 4, g: Date.now(), h: 0,
    i: `KEYS\u0001${key}\u0002TRAN_MSG\u0001true\u0002UNIQ_KEY\u0001U-${key}\u0002WAIT\u0001true\u0002PGROUP\u0001TxGroup\u0002TAGS\u0001TagTx`,
    j: 0, k: false, m: false }, Buffer.from(`tx ${key}`)), 3000);
  const r1 = await send('commit', 2);
  const r2 = await send('rollback', 3);
  const r3 = await send('unknown', 0);
  t.match(r1.extFields, { queueId: '2', queueOffset: '0' }, 'reply: requested queue, half queue offset');
  t.match(r2.extFields, { queueId: '3', queueOffset: '1' });
  t.match(r3.extFields, { queueId: '0', queueOffset: '2' });
  t.match(c.broker.topicConfigManager.selectTopicConfig('RMQ_SYS_TRANS_HALF_TOPIC'), { readQueueNums: 1, perm: 6 });
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('RMQ_SYS_TRANS_HALF_TOPIC', 0) === 3, 5000, 'half messages dispatched');
  t.equal(c.broker.store.getMaxOffsetInQueue('TxTopic', 2), 0, 'a half message is invisible to consumers');

  const end = (r: RemotingCommand, key: string, commitOrRollback: number, queueOffset: number, extra = {}) => {
    const off = Buffer.from(r.extFields!.msgId!, 'hex').readBigInt64BE(8);
    return client.invoke(addr, RemotingCommand.request(37, { producerGroup: 'TxGroup', tranStateTableOffset: queueOffset,
      commitLogOffset: off, commitOrRollback, fromTransactionCheck: false, msgId: `U-${key}`, ...extra }), 3000);
  };
  t.equal((await end(r1, 'commit', 8, 0)).code, 0, 'commit');
  t.equal((await end(r2, 'rollback', 12, 1)).code, 0, 'rollback');
  // a slow machine may check a half message back before its commit/rollback (it is 300 ms old);
  // checks sent before those replies came first on this connection: only later ones must spare them
  const checksBeforeResolved = checks.length;
  const wrong = await end(r3, 'unknown', 8, 1);
  t.equal(wrong.code, 1, 'wrong state table offset: SYSTEM_ERROR');
  t.equal((await client.invoke(addr, RemotingCommand.request(37, { producerGroup: 'Other', tranStateTableOffset: 2,
    commitLogOffset: Buffer.from(r3.extFields!.msgId!, 'hex').readBigInt64BE(8), commitOrRollback: 8, msgId: 'x' }), 3000)).code, 1, 'wrong group: SYSTEM_ERROR');
  // UNKNOWN (0) is left for the check-back; it is not waited for (the broker may not answer it)
  void end(r3, 'unknown', 0, 2).catch(() => undefined);

  await waitFor(() => c.broker.store.getMaxOffsetInQueue('TxTopic', 2) === 1, 5000, 'committed message visible');
  const got = c.broker.store.getMessage('g', 'TxTopic', 2, 0, 32, 1 << 20, null);
  const m = decodeRecord(got.buffers[0]!);
  t.equal(m.body.toString(), 'tx commit');
  t.equal(m.sysFlag & 0xc, 8, 'stored with the COMMIT sysFlag');
  t.equal(c.broker.store.getMaxOffsetInQueue('TxTopic', 3), 0, 'rolled back: never visible');

  const isUnknown = (x: RemotingCommand) => x.extFields!.msgId === 'U-unknown';
  await waitFor(() => checks.some(isUnknown), 5000, 'check-back');
  const chk = checks.find(isUnknown)!;
  t.match(chk.extFields, { tranStateTableOffset: '2', msgId: 'U-unknown', transactionId: 'U-unknown' });
  t.ok(chk.isOneway(), 'CHECK_TRANSACTION_STATE is oneway');
  const body = decodeRecord(chk.body as Buffer);
  t.equal(body.topic, 'TxTopic', 'check body addressed to the real topic');
  t.equal(body.body.toString(), 'tx unknown');
  t.ok(checks.slice(checksBeforeResolved).every(isUnknown), 'resolved messages are never checked');
  const answer = await client.invoke(addr, RemotingCommand.request(37, { producerGroup: 'TxGroup', tranStateTableOffset: 2,
    commitLogOffset: chk.extFields!.commitLogOffset, commitOrRollback: 8, fromTransactionCheck: true, msgId: 'U-unknown', transactionId: 'U-unknown' }), 3000);
  t.equal(answer.code, 0, 'commit from the check-back');
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('TxTopic', 0) === 1, 5000, 'checked message committed');
  const n = checks.length;
  // a check-back scan after the resolution: its progress passes every half message (offsets 0-2)
  await waitFor(() => c.broker.consumerOffsetManager.queryOffset('CID_SYS_RMQ_TRANS', 'RMQ_SYS_TRANS_HALF_TOPIC', 0) === 3, 5000,
    'the check-back scan to pass the resolved half messages');
  t.equal(checks.length, n, 'no more check-backs once resolved');
  const again = await end(r1, 'commit', 8, 0);
  t.equal(again.code, 0, 'a repeated commit is accepted');
  await waitFor(() => c.broker.store.dispatchBehindBytes() === 0, 5000, 'the store to dispatch everything written');
  t.equal(c.broker.store.getMaxOffsetInQueue('TxTopic', 2), 1, '... and not applied twice');
});
