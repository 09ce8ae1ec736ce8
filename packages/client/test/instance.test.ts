// The client instance against a scripted broker: heartbeat contents, group registration rules,
// name-server failover, answers to broker-initiated requests, request-reply, clean unregister.
import t from 'tap';
import { RemotingCommand, parseFastJson } from '@rmq/remoting';
import { Producer } from '../src/producer/producer.js';
import { PushConsumer } from '../src/consumer/push-consumer.js';
import { MQClientInstance } from '../src/instance/mq-client-instance.js';
import { MQClientError, MQTimeoutError } from '../src/errors.js';
import { encodeStoredMessage } from '../src/message.js';
import type { MessageExt } from '../src/message.js';
import { MockBroker } from './mock-broker.js';
import { loadFrames } from './fixtures.js';
import { freePort } from '../../../test/helpers/mq-process.js';
import { waitFor } from '../../../test/helpers/wait.js';

t.test('instance behaviours against a scripted broker', async (t) => {
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  const dead = `127.0.0.1:${await freePort()}`;
  const namesrvAddr = `${dead};${mock.addr}`; // the first name server is down: failover

  const producer = new Producer({ groupName: 'PG', namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3' });
  await producer.start();
  const consumed: MessageExt[] = [];
  const consumer = new PushConsumer({ groupName: 'CG', namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3' });
  consumer.subscribe('TopicA', 'TagA || TagB').onMessage((m) => { consumed.push(m); });
  await consumer.start();
  const clientId = '10.1.2.3@unit';
  t.equal(producer.clientId, clientId);
  t.equal(consumer.clientId, clientId, 'producer and consumer share one instance per clientId');

  await t.test('a duplicate group in one instance is refused', async (t) => {
    const again = new Producer({ groupName: 'PG', namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3' });
    await t.rejects(again.start(), { name: 'MQClientError', message: /producer group\[PG\] has been created before/ });
    const c2 = new PushConsumer({ groupName: 'CG', namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3' });
    c2.subscribe('TopicA').onMessage(() => {});
    await t.rejects(c2.start(), MQClientError);
  });

  await t.test('heartbeat carries producers, the inner producer and subscriptions', async (t) => {
    await waitFor(() => mock.channels.has(clientId), 5000, 'heartbeat');
    const hb = mock.requests.filter((r) => r.code === 34).map((r) => JSON.parse((r.body as Buffer).toString())).pop();
    t.equal(hb.clientID, clientId);
    t.same(hb.producerDataSet.map((p: { groupName: string }) => p.groupName).sort(), ['CLIENT_INNER_PRODUCER', 'PG']);
    const cd = hb.consumerDataSet[0];
    t.same(Object.keys(cd), ['consumeFromWhere', 'consumeType', 'groupName', 'messageModel', 'subscriptionDataSet', 'unitMode']);
    t.equal(cd.consumeType, 'CONSUME_PASSIVELY');
    t.equal(cd.messageModel, 'CLUSTERING');
    t.same(cd.subscriptionDataSet.map((s: { topic: string }) => s.topic).sort(), ['%RETRY%CG', 'TopicA']);
  });

  await t.test('pulls follow the 4.9.8 header layout and long-poll', async (t) => {
    await waitFor(() => mock.requests.some((r) => r.code === 11), 5000, 'a pull');
    const pull = mock.requests.find((r) => r.code === 11 && r.extFields?.['topic'] === 'TopicA')!;
    t.equal(pull.extFields?.['suspendTimeoutMillis'], '15000');
    t.equal(pull.extFields?.['sysFlag'], '2');
    t.equal(pull.extFields?.['expressionType'], 'TAG');
    t.notOk('subscription' in (pull.extFields ?? {}), 'subscription comes from the heartbeat, as with the Java client');
  });

  await t.test('send: SEND_MESSAGE_V2 with round robin over the route', async (t) => {
    const r1 = await producer.send({ topic: 'TopicA', body: 'hello', tags: 'TagA' });
    const r2 = await producer.send({ topic: 'TopicA', body: 'hello', tags: 'TagA' });
    t.equal(r1.status, 'SEND_OK');
    t.not(r1.queue.queueId, r2.queue.queueId);
    // A topic the name server does not know goes out on the TBW102 template route (auto-create).
    const r3 = await producer.send({ topic: 'MissingTopic', body: 'x' });
    t.equal(r3.status, 'SEND_OK');
    const req = mock.requests.filter((r) => r.code === 310).pop()!;
    t.equal(req.extFields?.['b'], 'MissingTopic');
    t.equal(req.extFields?.['c'], 'TBW102');
  });

  await t.test('broker-initiated requests are answered', async (t) => {
    const ch = mock.channels.get(clientId)!;
    const before = mock.requests.filter((r) => r.code === 38).length;
    ch.invokeOneway(RemotingCommand.request(40, { consumerGroup: 'CG' }));
    await waitFor(() => mock.requests.filter((r) => r.code === 38).length > before, 3000, 'rebalance after NOTIFY_CONSUMER_IDS_CHANGED');

    const info = await ch.invoke(RemotingCommand.request(307, { consumerGroup: 'CG', clientId, jstackEnable: 'false' }), 3000);
    t.equal(info.code, 0);
    const body = parseFastJson((info.body as Buffer).toString());
    t.equal(body.properties.PROP_CONSUME_TYPE, 'CONSUME_PASSIVELY');
    t.same(body.subscriptionSet.map((s: { topic: string }) => s.topic).sort(), ['%RETRY%CG', 'TopicA']);
    t.ok(Object.keys(body.mqTable).length >= 2, 'mqTable keyed by queue objects');
    const unknown = await ch.invoke(RemotingCommand.request(307, { consumerGroup: 'nope', clientId }), 3000);
    t.equal(unknown.code, 1);

    const stored = encodeStoredMessage({
      topic: 'TopicA', body: Buffer.from('direct'), tags: 'TagA', keys: undefined, properties: { TAGS: 'TagA' }, msgId: '', offsetMsgId: '',
      queueId: 0, queueOffset: 7, commitLogOffset: 123, sysFlag: 0, flag: 0, bornTimestamp: 1, bornHost: '127.0.0.1:1', storeTimestamp: 2,
      storeHost: '127.0.0.1:2', reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: 0, storeSize: 0, brokerName: 'mock-b',
    });
    const direct = await ch.invoke(RemotingCommand.request(309, { consumerGroup: 'CG', clientId, msgId: 'X', brokerName: 'mock-b' }, stored), 3000);
    t.equal(direct.code, 0);
    t.equal(JSON.parse((direct.body as Buffer).toString()).consumeResult, 'CR_SUCCESS');
    t.equal(consumed.at(-1)?.body.toString(), 'direct');

    const reset = await ch.invoke(RemotingCommand.request(220, { topic: 'TopicA', group: 'CG', timestamp: '0', isForce: 'true' },
      Buffer.from('{"offsetTable":{{"brokerName":"mock-b","queueId":0,"topic":"TopicA"}:5}}')), 3000);
    t.equal(reset.code, 0);
    await waitFor(() => mock.requests.some((r) => r.code === 15 && r.extFields?.['queueId'] === '0' && r.extFields?.['commitOffset'] === '5'), 3000, 'reset offset stored');
    await waitFor(() => mock.requests.some((r) => r.code === 11 && r.extFields?.['queueId'] === '0' && r.extFields?.['topic'] === 'TopicA' && r.extFields?.['queueOffset'] === '5'), 5000, 'pulling from the reset offset');
  });

  await t.test('request-reply: the pushed reply completes the request; unanswered ones expire', async (t) => {
    const ch = mock.channels.get(clientId)!;
    const pending = producer.request({ topic: 'TopicA', body: 'question' }, 3000);
    await waitFor(() => mock.requests.some((r) => r.code === 310 && (r.extFields?.['i'] ?? '').includes('CORRELATION_ID')), 3000, 'request sent');
    const req = mock.requests.filter((r) => r.code === 310).pop()!;
    const props = Object.fromEntries((req.extFields!['i']!).split('\u0002').map((kv) => kv.split('\u0001')));
    t.equal(props['REPLY_TO_CLIENT'], clientId);
    t.equal(props['TTL'], '3000');
    const push = await ch.invoke(RemotingCommand.request(326, {
      topic: 'MockCluster_REPLY_TOPIC', queueId: '0', sysFlag: '0', bornTimestamp: '1', flag: '0', reconsumeTimes: '0',
      properties: `CORRELATION_ID\u0001${props['CORRELATION_ID']}\u0002MSG_TYPE\u0001reply`, bornHost: '127.0.0.1:1', storeHost: '127.0.0.1:2', storeTimestamp: '3',
    }, Buffer.from('answer')), 3000);
    t.equal(push.code, 0);
    const reply = await pending;
    t.equal(reply.body.toString(), 'answer');
    await t.rejects(producer.request({ topic: 'TopicA', body: 'no answer' }, 500), MQTimeoutError);
    const ac = new AbortController();
    const aborted = producer.request({ topic: 'TopicA', body: 'cancel me' }, 5000, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await t.rejects(aborted, { name: 'MQAbortError' });
  });

  await t.test('reply messages go out as SEND_REPLY_MESSAGE_V2', async (t) => {
    await producer.send({ topic: 'MockCluster_REPLY_TOPIC', body: 'r', properties: { CORRELATION_ID: 'c', REPLY_TO_CLIENT: 'x', MSG_TYPE: 'reply' } });
    t.ok(mock.requests.some((r) => r.code === 325));
  });

  await t.test('transactions: half message, END_TRANSACTION, answers to CHECK_TRANSACTION_STATE', async (t) => {
    const fixture = loadFrames('transaction-check.json').filter((f) => f.dir === 'c2s' && f.code === 37);
    const checked: string[] = [];
    const tx = new Producer({
      groupName: 'TXG', namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3',
      transactionListener: {
        executeLocalTransaction: (m) => (String(m.body) === 'commit me' ? 'COMMIT_MESSAGE' : 'UNKNOW'),
        checkLocalTransaction: (m) => { checked.push(m.body.toString()); return 'COMMIT_MESSAGE'; },
      },
    });
    await tx.start();
    const r = await tx.sendMessageInTransaction({ topic: 'TopicA', body: 'commit me', tags: 'TagTx', keys: 'tx-commit' });
    t.equal(r.localTransactionState, 'COMMIT_MESSAGE');
    const half = mock.requests.filter((x) => x.code === 310).pop()!;
    t.equal(half.extFields?.['f'], '4', 'sysFlag TRANSACTION_PREPARED');
    t.match(half.extFields?.['i'], /TRAN_MSG\u0001true/);
    t.match(half.extFields?.['i'], /PGROUP\u0001TXG/);
    await waitFor(() => mock.requests.some((x) => x.code === 37), 3000, 'END_TRANSACTION');
    const end = mock.requests.filter((x) => x.code === 37).pop()!;
    t.ok(end.isOneway(), 'oneway');
    t.same(Object.keys(end.extFields!).sort(), Object.keys(fixture[0]!.header.extFields!).sort(), 'same fields as the Java client after a send');
    t.equal(end.extFields?.['commitOrRollback'], '8');
    t.equal(end.extFields?.['msgId'], r.msgId);

    const unknown = await tx.sendMessageInTransaction({ topic: 'TopicA', body: 'ask me later' });
    t.equal(unknown.localTransactionState, 'UNKNOW');
    await waitFor(() => mock.requests.filter((x) => x.code === 37).pop()?.extFields?.['commitOrRollback'] === '0', 3000, 'END_TRANSACTION 0');
    const stored = encodeStoredMessage({
      topic: 'TopicA', body: Buffer.from('ask me later'), tags: undefined, keys: undefined,
      properties: { PGROUP: 'TXG', TRAN_MSG: 'true', UNIQ_KEY: unknown.msgId }, msgId: '', offsetMsgId: '', queueId: 0, queueOffset: 9,
      commitLogOffset: 9067, sysFlag: 4, flag: 0, bornTimestamp: 1, bornHost: '127.0.0.1:1', storeTimestamp: 2, storeHost: '127.0.0.1:2',
      reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: 0, storeSize: 0, brokerName: 'mock-b',
    });
    const ch = mock.channels.get(clientId)!;
    ch.invokeOneway(RemotingCommand.request(39, { commitLogOffset: '9067', msgId: unknown.msgId, tranStateTableOffset: '9',
      offsetMsgId: unknown.offsetMsgId, transactionId: unknown.msgId }, stored));
    await waitFor(() => mock.requests.some((x) => x.code === 37 && x.extFields?.['fromTransactionCheck'] === 'true'), 3000, 'check answered');
    const answer = mock.requests.filter((x) => x.code === 37).pop()!;
    t.same(Object.keys(answer.extFields!).sort(), Object.keys(fixture.at(-1)!.header.extFields!).sort(), 'same fields as the Java client after a check');
    t.equal(answer.extFields?.['commitOrRollback'], '8');
    t.equal(answer.extFields?.['tranStateTableOffset'], '9');
    t.same(checked, ['ask me later']);
    await tx.shutdown();
  });

  await t.test('shutdown unregisters every group, then closes the instance', async (t) => {
    await consumer.shutdown();
    t.ok(mock.requests.some((r) => r.code === 15), 'offsets persisted');
    await producer.shutdown();
    const unreg = mock.requests.filter((r) => r.code === 35).map((r) => r.extFields?.['producerGroup'] ?? r.extFields?.['consumerGroup']);
    t.same(unreg.sort(), ['CG', 'CLIENT_INNER_PRODUCER', 'PG', 'TXG']);
    t.ok(MQClientInstance.getOrCreate({ namesrvAddr, instanceName: 'unit', clientIP: '10.1.2.3' }) !== undefined);
  });
});

t.test('brokers that leave every route are dropped', async (t) => {
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  mock.extraBrokers.set('ghost-b', '127.0.0.1:1');
  const p = new Producer({ groupName: 'DropG', namesrvAddr: mock.addr, instanceName: 'drop' });
  await p.start();
  const queues = await p.fetchPublishMessageQueues('TopicD');
  t.same([...new Set(queues.map((q) => q.brokerName))].sort(), ['ghost-b', 'mock-b']);
  const inst = MQClientInstance.getOrCreate({ namesrvAddr: mock.addr, instanceName: 'drop' });
  t.same(inst.allBrokerAddrs().map((a) => a.brokerName).sort(), ['ghost-b', 'mock-b']);
  mock.extraBrokers.clear();
  await inst.updateAllTopicRoutes();
  inst.cleanOfflineBroker();
  t.same(inst.allBrokerAddrs().map((a) => a.brokerName), ['mock-b'], 'ghost-b forgotten');
  t.same([...new Set((await p.fetchPublishMessageQueues('TopicD')).map((q) => q.brokerName))], ['mock-b'], 'and no longer chosen');
  await p.shutdown();
});
