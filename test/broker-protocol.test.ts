// The broker's request codes spoken raw (our RemotingClient, JSON headers as the Java client and
// ali-ons send them): reply fields, Apache's response codes for bad requests, and a pull reply
// whose bytes are the stored records. The broker keeps serving after every bad request.
import t from 'tap';
import { RemotingClient, RemotingCommand } from '../packages/remoting/dist/index.js';
import { createTopic, startCluster, waitFor, type Cluster } from './helpers/broker-cluster.js';

const PRODUCER = 'proto_producer';

function sendHeader(topic: string, queueId: number, props: string, extra: Record<string, string | number | boolean> = {}) {
  return { a: PRODUCER, b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: props, j: 0, k: false, m: false, ...extra };
}

async function setup(t: { teardown(fn: () => unknown): void }, over = {}): Promise<{ c: Cluster; client: RemotingClient; addr: string; call: (code: number, ext?: Record<string, unknown> | null, body?: Buffer | null) => Promise<RemotingCommand> }> {
  const c = await startCluster(t, over);
  const client = new RemotingClient();
  t.teardown(() => client.close());
  const addr = c.broker.brokerAddr;
  const call = (code: number, ext: Record<string, unknown> | null = {}, body: Buffer | null = null) =>
    client.invoke(addr, RemotingCommand.request(code, ext as never, body), 5000);
  return { c, client, addr, call };
}

t.test('SEND_MESSAGE_V2 reply and PULL_MESSAGE body equal to the stored bytes', async (t) => {
  const { c, call } = await setup(t);
  await createTopic(c, 'ProtoTopic');
  const props = 'UNIQ_KEY\u0001ABC\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002';
  const r = await call(310, sendHeader('ProtoTopic', 1, props), Buffer.from('hello'));
  t.equal(r.code, 0, 'send ok');
  t.match(r.extFields, { queueId: '1', queueOffset: '0', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
  t.match(r.extFields!.msgId, /^7F000001[0-9A-F]{8}0{16}$/, 'offset msg id of store host + offset 0');
  t.equal(r.extFields!.msgId.slice(8, 16), c.broker.port.toString(16).toUpperCase().padStart(8, '0'), 'port in msgId');

  const r2 = await call(10, { producerGroup: PRODUCER, topic: 'ProtoTopic', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 1,
    sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: 'TAGS\u0001TagB', reconsumeTimes: 0, unitMode: false }, Buffer.from('world'));
  t.equal(r2.code, 0, 'SEND_MESSAGE (10) with long names');
  t.equal(r2.extFields!.queueOffset, '1');
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('ProtoTopic', 1) === 2, 5000, 'dispatch');

  const pull = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: Date.now(), expressionType: 'TAG' });
  t.equal(pull.code, 0);
  t.equal(pull.remark, 'FOUND');
  t.match(pull.extFields, { suggestWhichBrokerId: '0', nextBeginOffset: '2', minOffset: '0', maxOffset: '2' });
  const stored = c.broker.store.getMessage('x', 'ProtoTopic', 1, 0, 32, 1 << 20, null);
  const body = pull.body as Buffer;
  t.ok(Buffer.concat(stored.buffers).equals(body), 'pull body is the stored records byte for byte');
  const look = c.broker.store.lookMessageByOffset(0)!;
  t.ok(body.subarray(0, look.length).equals(look), 'first record equals lookMessageByOffset(0)');
  // Stored properties as Apache keeps them: WAIT dropped, CLUSTER added, no trailing separator.
  const text = body.toString('latin1');
  t.notOk(text.includes('WAIT\u0001true'), 'WAIT not stored');
  t.ok(text.includes('CLUSTER\u0001DefaultCluster'), 'CLUSTER stored');

  const tagPull = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: 'TagB', subVersion: Date.now() });
  t.equal(tagPull.code, 0);
  t.equal(tagPull.extFields!.nextBeginOffset, '2');
  t.ok((tagPull.body as Buffer).toString('latin1').includes('world'), 'tag filter keeps TagB');
  t.notOk((tagPull.body as Buffer).toString('latin1').includes('hello'), 'tag filter drops TagA');

  const none = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: 'TagZ', subVersion: Date.now() });
  t.equal(none.code, 20, 'no matching tag: PULL_RETRY_IMMEDIATELY');
  t.equal(none.remark, 'NO_MATCHED_MESSAGE');
  t.equal(none.extFields!.nextBeginOffset, '2', 'offset advances past non-matching messages');

  const held0 = Date.now();
  const empty = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1, queueOffset: 2, maxMsgNums: 32,
    sysFlag: 7, commitOffset: 2, suspendTimeoutMillis: 700, subscription: '*', subVersion: Date.now() });
  t.equal(empty.code, 19, 'caught up: PULL_NOT_FOUND after the hold');
  t.equal(empty.remark, 'OFFSET_OVERFLOW_ONE');
  t.ok(Date.now() - held0 >= 600, 'the pull was held');
  t.match(empty.extFields, { nextBeginOffset: '2', minOffset: '0', maxOffset: '2', suggestWhichBrokerId: '0' });
  const q = await call(14, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1 });
  t.equal(q.extFields!.offset, '2', 'commit offset carried by the pull (sysFlag bit 0)');

  const moved = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 1, queueOffset: 50, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: Date.now() });
  t.equal(moved.code, 21, 'offset past the end: PULL_OFFSET_MOVED');
  t.equal(moved.remark, 'OFFSET_OVERFLOW_BADLY');
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('OFFSET_MOVED_EVENT', 0) === 1, 5000, 'offset moved event');
  const ev = c.broker.store.getMessage('x', 'OFFSET_MOVED_EVENT', 0, 0, 1, 1 << 20, null).buffers[0]!;
  t.match(ev.toString('latin1'), /"offsetRequest":50/, 'OFFSET_MOVED_EVENT records the correction');

  const emptyQueue = await call(11, { consumerGroup: 'proto_group', topic: 'ProtoTopic', queueId: 3, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 4, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: Date.now() });
  t.equal(emptyQueue.code, 19, 'empty queue without suspend flag: PULL_NOT_FOUND at once');
  t.match(emptyQueue.extFields, { nextBeginOffset: '0', minOffset: '0', maxOffset: '0' });
});

t.test('batch, offsets, heartbeat, consumer list, locks', async (t) => {
  const { c, call } = await setup(t);
  await createTopic(c, 'ProtoTopic');
  const enc = (body: string, props: string) => {
    const b = Buffer.from(body); const p = Buffer.from(props);
    const m = Buffer.alloc(22 + b.length + p.length);
    m.writeInt32BE(m.length, 0); m.writeInt32BE(0, 4); m.writeInt32BE(0, 8); m.writeInt32BE(0, 12);
    m.writeInt32BE(b.length, 16); b.copy(m, 20); m.writeInt16BE(p.length, 20 + b.length); p.copy(m, 22 + b.length);
    return m;
  };
  const batchBody = Buffer.concat([enc('b1', 'TAGS\u0001T1'), enc('b2', 'TAGS\u0001T2'), enc('b3', '')]);
  const br = await call(320, sendHeader('ProtoTopic', 2, 'WAIT\u0001true', { m: true }), batchBody);
  t.equal(br.code, 0, 'batch send ok');
  const ids = br.extFields!.msgId.split(',');
  t.equal(ids.length, 3, 'comma-separated msgIds');
  t.equal(br.extFields!.queueOffset, '0', 'queueOffset of the first message');
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('ProtoTopic', 2) === 3, 5000, 'dispatch');
  t.equal(c.broker.store.getMaxOffsetInQueue('ProtoTopic', 2), 3);

  t.equal((await call(30, { topic: 'ProtoTopic', queueId: 2 })).extFields!.offset, '3', 'GET_MAX_OFFSET');
  t.equal((await call(31, { topic: 'ProtoTopic', queueId: 2 })).extFields!.offset, '0', 'GET_MIN_OFFSET');
  const ts = await call(32, { topic: 'ProtoTopic', queueId: 2 });
  t.equal(ts.code, 0);
  t.ok(Number(ts.extFields!.timestamp) > Date.now() - 60_000, 'GET_EARLIEST_MSG_STORETIME');
  t.equal((await call(29, { topic: 'ProtoTopic', queueId: 2, timestamp: 0 })).extFields!.offset, '0', 'SEARCH_OFFSET_BY_TIMESTAMP');

  const q0 = await call(14, { consumerGroup: 'new_group', topic: 'ProtoTopic', queueId: 2 });
  t.equal(q0.code, 0, 'new group, queue from 0: offset 0');
  t.equal(q0.extFields!.offset, '0');
  t.equal((await call(15, { consumerGroup: 'new_group', topic: 'ProtoTopic', queueId: 2, commitOffset: 2 })).code, 0);
  t.equal((await call(15, { consumerGroup: 'new_group', topic: 'ProtoTopic', queueId: 2, commitOffset: -1 })).code, 0, '-1 accepted');
  t.equal((await call(14, { consumerGroup: 'new_group', topic: 'ProtoTopic', queueId: 2 })).extFields!.offset, '2', '-1 ignored');

  // Heartbeat: creates %RETRY%<group>, registers the group; 38 lists the client.
  const notified: string[] = [];
  const hbClient = new RemotingClient();
  t.teardown(() => hbClient.close());
  hbClient.registerProcessor(40, (req) => { notified.push(req.extFields!.consumerGroup!); return null; });
  const hb = (clientID: string, cl: RemotingClient) => cl.invoke(c.broker.brokerAddr, RemotingCommand.request(34, {}, Buffer.from(JSON.stringify({
    clientID, consumerDataSet: [{ groupName: 'hb_group', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', subscriptionDataSet: [{ topic: 'ProtoTopic', subString: 'TagA', classFilterMode: false,
        tagsSet: ['TagA'], codeSet: [2598919], subVersion: Date.now() }], unitMode: false }],
    producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }] }))), 3000);
  t.equal((await hb('192.0.2.2@one', hbClient)).code, 0, 'heartbeat ok');
  const retry = c.broker.topicConfigManager.selectTopicConfig('%RETRY%hb_group');
  t.match(retry, { readQueueNums: 1, writeQueueNums: 1, perm: 6 }, '%RETRY% topic created on first heartbeat');
  const list = await call(38, { consumerGroup: 'hb_group' });
  t.equal(list.code, 0);
  t.same(JSON.parse((list.body as Buffer).toString()), { consumerIdList: ['192.0.2.2@one'] });
  const other = new RemotingClient();
  t.teardown(() => other.close());
  await hb('192.0.2.2@two', other);
  await waitFor(() => notified.includes('hb_group'), 5000, 'NOTIFY_CONSUMER_IDS_CHANGED');
  t.ok(notified.includes('hb_group'), 'NOTIFY_CONSUMER_IDS_CHANGED (40) sent to the first client when the second joined');
  const list2 = JSON.parse(((await call(38, { consumerGroup: 'hb_group' })).body as Buffer).toString());
  t.same(list2.consumerIdList.sort(), ['192.0.2.2@one', '192.0.2.2@two']);
  const unreg = await other.invoke(c.broker.brokerAddr, RemotingCommand.request(35, { clientID: '192.0.2.2@two', consumerGroup: 'hb_group' }), 3000);
  t.equal(unreg.code, 0, 'UNREGISTER_CLIENT');
  t.same(JSON.parse(((await call(38, { consumerGroup: 'hb_group' })).body as Buffer).toString()), { consumerIdList: ['192.0.2.2@one'] });
  const noGroup = await call(38, { consumerGroup: 'nobody' });
  t.equal(noGroup.code, 1, 'no consumer for the group: SYSTEM_ERROR');

  // A pull without the subscription flag uses the heartbeat's subscription; newer subVersion: 25.
  const notLatest = await call(11, { consumerGroup: 'hb_group', topic: 'ProtoTopic', queueId: 2, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 1000, subVersion: Date.now() + 60_000 });
  t.equal(notLatest.code, 25, 'SUBSCRIPTION_NOT_LATEST');
  const noSub = await call(11, { consumerGroup: 'no_such_group', topic: 'ProtoTopic', queueId: 2, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 1000, subVersion: 0 });
  t.equal(noSub.code, 24, 'SUBSCRIPTION_NOT_EXIST');

  const mqSet = [{ brokerName: 'broker-a', queueId: 0, topic: 'ProtoTopic' }, { brokerName: 'broker-a', queueId: 1, topic: 'ProtoTopic' }];
  const lockA = await call(41, {}, Buffer.from(JSON.stringify({ clientId: 'A', consumerGroup: 'og', mqSet })));
  t.same(JSON.parse((lockA.body as Buffer).toString()).lockOKMQSet, mqSet, 'A locks both queues');
  const lockB = await call(41, {}, Buffer.from(JSON.stringify({ clientId: 'B', consumerGroup: 'og', mqSet })));
  t.same(JSON.parse((lockB.body as Buffer).toString()).lockOKMQSet, [], 'B gets none while A holds them');
  t.equal((await call(42, {}, Buffer.from(JSON.stringify({ clientId: 'A', consumerGroup: 'og', mqSet: [mqSet[0]] })))).code, 0);
  const lockB2 = await call(41, {}, Buffer.from(JSON.stringify({ clientId: 'B', consumerGroup: 'og', mqSet })));
  t.same(JSON.parse((lockB2.body as Buffer).toString()).lockOKMQSet, [mqSet[0]], 'B gets the unlocked queue');
});

t.test('bad requests get Apache response codes and the broker keeps serving', async (t) => {
  const { c, call } = await setup(t);
  await createTopic(c, 'ProtoTopic');
  await createTopic(c, 'ReadOnlyTopic', 4, 4);
  const missing = await call(310, { a: PRODUCER, c: 'TBW102', d: 4, e: 0, f: 0, g: 1, h: 0 }, Buffer.from('x'));
  t.equal(missing.code, 1, 'missing topic field: SYSTEM_ERROR');
  t.match(missing.remark, /topic/);
  const badNumber = await call(310, sendHeader('ProtoTopic', 'zero' as never, ''), Buffer.from('x'));
  t.equal(badNumber.code, 1, 'queueId not a number: SYSTEM_ERROR');
  const illegal = await call(310, sendHeader('bad topic!', 0, ''), Buffer.from('x'));
  t.equal(illegal.code, 1, 'illegal topic name: SYSTEM_ERROR');
  t.match(illegal.remark, /illegal characters/);
  const sched = await call(310, sendHeader('SCHEDULE_TOPIC_XXXX', 0, ''), Buffer.from('x'));
  t.equal(sched.code, 16, 'system topic: NO_PERMISSION');
  const ro = await call(310, sendHeader('ReadOnlyTopic', 0, ''), Buffer.from('x'));
  t.equal(ro.code, 16, 'read-only topic: NO_PERMISSION');
  const badQueue = await call(310, sendHeader('ProtoTopic', 9, ''), Buffer.from('x'));
  t.equal(badQueue.code, 1, 'queueId out of range: SYSTEM_ERROR');
  const big = await call(310, sendHeader('ProtoTopic', 0, ''), Buffer.alloc(4 * 1024 * 1024 + 1));
  t.equal(big.code, 13, 'body over maxMessageSize: MESSAGE_ILLEGAL');
  const unknownPull = await call(11, { consumerGroup: 'g', topic: 'NoSuchTopic', queueId: 0, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: 0 });
  t.equal(unknownPull.code, 17, 'pull from an unknown topic: TOPIC_NOT_EXIST');
  t.match(unknownPull.remark, /not exist, apply first please/);
  const badPullQueue = await call(11, { consumerGroup: 'g', topic: 'ProtoTopic', queueId: 7, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: 0 });
  t.equal(badPullQueue.code, 1, 'pull queueId out of range: SYSTEM_ERROR');
  const badSql = await call(11, { consumerGroup: 'g', topic: 'ProtoTopic', queueId: 0, queueOffset: 0, maxMsgNums: 32,
    sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: 'a >', subVersion: 0, expressionType: 'SQL92' });
  t.equal(badSql.code, 23, 'unparsable SQL92: SUBSCRIPTION_PARSE_FAILED');
  const noHeader = await call(14, { topic: 'ProtoTopic' });
  t.equal(noHeader.code, 1, 'QUERY_CONSUMER_OFFSET without consumerGroup: SYSTEM_ERROR');
  const unknownCode = await call(9999, {});
  t.equal(unknownCode.code, 3, 'unknown request code: REQUEST_CODE_NOT_SUPPORTED');
  const badHb = await call(34, {}, Buffer.from('{not json'));
  t.equal(badHb.code, 1, 'garbage heartbeat body: SYSTEM_ERROR');
  const badBack = await call(36, { offset: 123456789, group: 'g', delayLevel: 0, originMsgId: 'x', originTopic: 'ProtoTopic', maxReconsumeTimes: 16 });
  t.equal(badBack.code, 1, 'send-back of an unknown offset: SYSTEM_ERROR');

  // Auto-create from TBW102: min(defaultTopicQueueNums, 8) queues, perm without inherit.
  const auto = await call(310, sendHeader('AutoTopic1', 1, 'TAGS\u0001A', { d: 3 }), Buffer.from('x'));
  t.equal(auto.code, 0, 'unknown topic auto-created from TBW102');
  t.match(c.broker.topicConfigManager.selectTopicConfig('AutoTopic1'), { readQueueNums: 3, writeQueueNums: 3, perm: 6 });
  const ok = await call(310, sendHeader('ProtoTopic', 0, ''), Buffer.from('still serving'));
  t.equal(ok.code, 0, 'broker still serving');
});

t.test('autoCreateTopicEnable=false: unknown topics get TOPIC_NOT_EXIST', async (t) => {
  const { call } = await setup(t, { autoCreateTopicEnable: false });
  const r = await call(310, sendHeader('AutoTopic2', 0, ''), Buffer.from('x'));
  t.equal(r.code, 17);
  t.match(r.remark, /topic\[AutoTopic2\] not exist, apply first please!/);
});

t.test('request-reply: SEND_REPLY_MESSAGE_V2 is pushed to the requester (326) and stored', async (t) => {
  const { c, call } = await setup(t);
  const pushed: RemotingCommand[] = [];
  const requester = new RemotingClient();
  t.teardown(() => requester.close());
  requester.registerProcessor(326, (req) => { pushed.push(req); return RemotingCommand.response(0, null); });
  const hb = await requester.invoke(c.broker.brokerAddr, RemotingCommand.request(34, {}, Buffer.from(JSON.stringify({
    clientID: '192.0.2.2@requester', consumerDataSet: [], producerDataSet: [{ groupName: 'req_group' }] }))), 3000);
  t.equal(hb.code, 0);
  const props = 'CORRELATION_ID\u0001corr-1\u0002REPLY_TO_CLIENT\u0001192.0.2.2@requester\u0002MSG_TYPE\u0001reply\u0002CLUSTER\u0001DefaultCluster';
  const r = await call(325, sendHeader('DefaultCluster_REPLY_TOPIC', 0, props), Buffer.from('the reply'));
  t.equal(r.code, 0, 'reply accepted');
  t.equal(pushed.length, 1, 'pushed to the requester');
  t.equal((pushed[0]!.body as Buffer).toString(), 'the reply');
  t.match(pushed[0]!.extFields, { topic: 'DefaultCluster_REPLY_TOPIC', queueId: '0', storeHost: c.broker.brokerAddr });
  t.match(pushed[0]!.extFields!.properties, /CORRELATION_ID\u0001corr-1/);
  const gone = await call(325, sendHeader('DefaultCluster_REPLY_TOPIC', 0, props.replace('requester', 'nobody')), Buffer.from('x'));
  t.equal(gone.code, 0, 'requester gone: still stored (storeReplyMessageEnable), as Apache does');
  t.equal(pushed.length, 1);
});

t.test('SEND_MESSAGE_V2: properties over 32767 UTF-8 bytes are MESSAGE_ILLEGAL, up to the limit stored', async (t) => {
  const { c, call } = await setup(t);
  await createTopic(c, 'PropsTopic');
  // 3-byte chars: 10,900 of them are 32,700 bytes (stored with CLUSTER: under the limit); 11,000 are 33,000
  const fits = await call(310, sendHeader('PropsTopic', 0, 'BIG\u0001' + '€'.repeat(10900)), Buffer.from('a'));
  t.equal(fits.code, 0, 'under the limit: stored');
  for (const props of ['BIG\u0001' + '€'.repeat(11000), 'BIG\u0001' + 'x'.repeat(33000)]) {
    const r = await call(310, sendHeader('PropsTopic', 0, props), Buffer.from('b'));
    t.equal(r.code, 13, `${props.length} chars, ${Buffer.byteLength(props)} bytes: MESSAGE_ILLEGAL`);
  }
  const after = await call(310, sendHeader('PropsTopic', 0, 'TAGS\u0001T'), Buffer.from('c'));
  t.equal(after.code, 0, 'the broker keeps serving');
  t.equal(after.extFields!.queueOffset, '1', 'only the message under the limit was stored before it');
});

t.test('PULL_MESSAGE bodies from the pooled memory: many pulls in flight read as stored, every lease comes back', async (t) => {
  const { c, call } = await setup(t);
  await createTopic(c, 'PoolTopic');
  for (let i = 0; i < 300; i++) {
    const r = await call(310, sendHeader('PoolTopic', 0, `TAGS\u0001T${i % 3}`), Buffer.alloc(100 + (i * 37) % 3000, i & 0xff));
    t.equal(r.code, 0);
  }
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('PoolTopic', 0) === 300, 5000, 'dispatch');
  // 40 pulls in flight on one connection, at overlapping offsets, each compared with a plain read
  const offsets = Array.from({ length: 40 }, (_, i) => (i * 7) % 290);
  const pulls = await Promise.all(offsets.map((o) => call(11, { consumerGroup: 'pool_group', topic: 'PoolTopic', queueId: 0, queueOffset: o,
    maxMsgNums: 32, sysFlag: 6, commitOffset: 0, suspendTimeoutMillis: 1000, subscription: '*', subVersion: Date.now(), expressionType: 'TAG' })));
  pulls.forEach((p, i) => {
    const stored = c.broker.store.getMessage('x', 'PoolTopic', 0, offsets[i]!, 32, 1 << 20, null);
    t.equal(p.code, 0);
    t.ok(Buffer.concat(stored.buffers).equals(p.body as Buffer), `pull at ${offsets[i]} is the stored records`);
  });
  const info = () => c.broker.store.runtimeInfo() as Record<string, string>;
  await waitFor(() => info().pullBodyLeases === '0', 5000, 'leases released once written');
  t.equal(info().pullBodyLeases, '0', 'no lease outstanding');
  t.ok(Number(info().pullBodySlabs) <= 4, `a few slabs served them (${info().pullBodySlabs})`);
});
