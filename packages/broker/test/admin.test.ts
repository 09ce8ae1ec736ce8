// Admin processor against captured mqadmin 4.9.8 exchanges: the fixture request goes through our
// handler, and the reply must have the fixture reply's code, remark, ext fields and body shape.
import t from 'tap';
import { encodeCommandToBuffer, parseFastJson, RemotingCommand } from '@rmq/remoting';
import { parseJavaProperties as parsePairs } from '@rmq/remoting';
import { requests } from '../src/processor/admin/index.js';
import { brokerRuntimeInfo } from '../src/processor/admin/runtime.js';

const parseJavaProperties = (text: string): Map<string, string> => new Map(parsePairs(text));
import { buildSubscriptionData } from '../src/client/subscription-data.js';
import {
  bodyJson, exchange, fakeChannel, headerText, makeContext, processors, request, shape, tempDir, type TestContext,
} from './admin-helpers.js';

const RECORD = exchange('admin-query-msg-by-id.json', 33).res.bodyBuffer()!;

function setup(t: { teardown(fn: () => void): void }, over = {}): { ctx: TestContext; call: ReturnType<typeof processors> } {
  const ctx = makeContext(tempDir(t), over);
  t.teardown(() => ctx.runtimeSampler.stop());
  return { ctx, call: processors(requests, ctx) };
}

/** Replays a captured request: a plain SUCCESS reply (no remark, no header) and both bodies parsed. */
async function replay(t: { equal(a: unknown, b: unknown): void }, call: ReturnType<typeof processors>, file: string, code: number) {
  const { req, res } = exchange(file, code);
  const r = await call(req);
  t.equal(r.code, 0);
  t.equal(r.remark, null);
  t.equal(r.extFields, null);
  return { r, ours: bodyJson(r), theirs: bodyJson(res) };
}

/** FixtureTopic with 4 queues holding 4, 5, 1, 0 messages (as when the fixtures were taken). */
function fixtureTopic(ctx: TestContext): void {
  ctx.topicConfigManager.updateTopicConfig({
    topicName: 'FixtureTopic', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  });
  [4, 5, 1, 0].forEach((n, q) => { for (let i = 0; i < n; i++) ctx.store.put('FixtureTopic', q, RECORD, 1795742400000 + i); });
}

t.test('17 UPDATE_AND_CREATE_TOPIC: creates the topic, replies like 4.9.8 byte for byte', async (t) => {
  const { ctx, call } = setup(t);
  const { req, resHex } = exchange('admin-update-topic.json', 17);
  const res = await call(req);
  t.equal(headerText(encodeCommandToBuffer(res)), headerText(resHex), 'header JSON identical');
  t.equal(res.bodyLength(), 0);
  const tc = ctx.topicConfigManager.selectTopicConfig('FixtureTopic');
  t.match(tc, { readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0 });
  t.same(ctx.registered, [true], 'oneway registration with the name servers');
});

t.test('17 refuses bad names, system topics, and slaves', async (t) => {
  const { call } = setup(t);
  const mk = (topic: string) => request(17, { topic, readQueueNums: 4, writeQueueNums: 4, perm: 6 });
  let r = await call(mk('bad topic!'));
  t.equal(r.code, 1);
  t.match(r.remark, /illegal characters/);
  r = await call(mk('TBW102'));
  t.equal(r.remark, 'The topic[TBW102] is conflict with system topic.');
  r = await call(mk('rmq_sys_x'));
  t.equal(r.code, 1);
  r = await call(mk('x'.repeat(128)));
  t.match(r.remark, /longer than topic max length/);
  const slave = setup(t, { brokerRole: 'SLAVE' });
  r = await slave.call(mk('T1'));
  t.match(r.remark, /from slave broker/);
});

t.test('215 DELETE_TOPIC_IN_BROKER', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  const r = await call(request(215, { topic: 'FixtureTopic' }));
  t.equal(r.code, 0);
  t.equal(r.remark, null);
  t.equal(ctx.topicConfigManager.selectTopicConfig('FixtureTopic'), undefined);
  t.same(ctx.store.deleted, [['FixtureTopic']]);
  t.equal((await call(request(215, { topic: 'SCHEDULE_TOPIC_XXXX' }))).code, 1);
});

t.test('21 GET_ALL_TOPIC_CONFIG: TopicConfigSerializeWrapper, ext {}', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  const r = await call(request(21));
  t.equal(r.code, 0);
  t.same(r.extFields, {});
  const b = bodyJson(r);
  t.same(Object.keys(b), ['dataVersion', 'topicConfigTable']);
  t.same(Object.keys(b.topicConfigTable.FixtureTopic),
    ['order', 'perm', 'readQueueNums', 'topicFilterType', 'topicName', 'topicSysFlag', 'writeQueueNums']);
});

t.test('25 UPDATE_BROKER_CONFIG then 26 GET_BROKER_CONFIG', async (t) => {
  const { ctx, call } = setup(t);
  const { req, resHex } = exchange('admin-update-broker-config.json', 25);
  const r = await call(req);
  t.equal(headerText(encodeCommandToBuffer(r)), headerText(resHex), 'header JSON identical');
  // A key no config object has is kept and shown, as Apache's Configuration does.
  let cfg = await call(request(26));
  t.equal(cfg.code, 0);
  const props = parseJavaProperties(cfg.bodyBuffer()!.toString('utf8'));
  t.equal(props.get('transactionCheckInterval'), '5000');
  t.equal(props.get('brokerName'), 'broker-a');
  t.equal(props.get('storePathRootDir'), ctx.storeConfig.storePathRootDir);
  t.same(Object.keys(JSON.parse(cfg.ext('version')!)), ['counter', 'timestamp']);
  const v1 = JSON.parse(cfg.ext('version')!).counter;

  // Known keys are converted by type.
  await call(request(25, null, Buffer.from('defaultTopicQueueNums=8\nautoCreateTopicEnable=false\n# comment\nbrokerPermission = 4\n')));
  t.equal(ctx.config.defaultTopicQueueNums, 8);
  t.equal(ctx.config.autoCreateTopicEnable, false);
  t.equal(ctx.config.brokerPermission, 4);
  t.same(ctx.registered, [false], 'brokerPermission change re-registers');
  cfg = await call(request(26));
  t.ok(JSON.parse(cfg.ext('version')!).counter > v1, 'dataVersion moves');

  const refused = await call(request(25, null, Buffer.from('rocketmqHome=/tmp\n')));
  t.equal(refused.code, 16);
  t.equal(refused.remark, 'Can not update config in black list.');
});

t.test('java.util.Properties parsing', async (t) => {
  const p = parseJavaProperties('a=1\n b : two words \n! c\n#d=4\ne\\\n  f=5\ng h\nk=\\u0041\\n\n');
  t.equal(p.get('a'), '1');
  t.equal(p.get('b'), 'two words ');
  t.equal(p.get('ef'), '5');
  t.equal(p.get('g'), 'h');
  t.notOk(p.has('d'));
});

t.test('28 GET_BROKER_RUNTIME_INFO: every key mqadmin 4.9.8 saw', async (t) => {
  const { ctx, call } = setup(t);
  ctx.stats.putMessages = 20;
  ctx.stats.getMessages = 25;
  const { ours, theirs } = await replay(t, call, 'admin-cluster-list.json', 28);
  t.same(Object.keys(ours), ['table']);
  for (const k of Object.keys(theirs.table)) {
    if (k.startsWith('commitLogDiskRatio_') || k.startsWith('scheduleMessageOffset_')) continue;
    t.ok(k in ours.table, `has ${k}`);
    t.equal(typeof ours.table[k], 'string', `${k} is a string`);
  }
  t.ok(Object.keys(ours.table).some((k) => k.startsWith('commitLogDiskRatio_/')), 'per-path disk ratio');
  t.equal(ours.table.msgPutTotalTodayNow, '20');
  t.equal(ours.table.msgGetTotalTodayNow, '25');
  t.equal(ours.table.brokerVersionDesc, 'V4_9_8');
  t.equal(ours.table.putTps.split(' ').length, 3, 'putTps: 10s 1m 10m');
  t.match(ours.table.runtime, /^\[ \d+ days, \d+ hours, \d+ minutes, \d+ seconds \]$/);
  t.equal(brokerRuntimeInfo(ctx).bootTimestamp, String(ctx.bootTimestamp));
});

t.test('202 GET_TOPIC_STATS_INFO: same body shape as 4.9.8', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  const { r, ours, theirs } = await replay(t, call, 'admin-topic-status.json', 202);
  t.same(shape(ours), shape(theirs));
  t.same(Object.keys(ours.offsetTable), Object.keys(theirs.offsetTable), 'same queues, same MessageQueue key text');
  const q1 = ours.offsetTable['{"brokerName":"broker-a","queueId":1,"topic":"FixtureTopic"}'];
  t.match(q1, { maxOffset: 5, minOffset: 0 });
  t.equal(ours.offsetTable['{"brokerName":"broker-a","queueId":3,"topic":"FixtureTopic"}'].lastUpdateTimestamp, 0);
  t.match(r.bodyBuffer()!.toString(), /^\{"offsetTable":\{\{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"\}:\{"lastUpdateTimestamp":/);
  const missing = await call(request(202, { topic: 'Nope' }));
  t.equal(missing.code, 17);
  t.equal(missing.remark, 'topic[Nope] not exist');
});

t.test('208 GET_CONSUME_STATS: same body shape as 4.9.8', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  ctx.topicConfigManager.createTopicInSendMessageBackMethod('%RETRY%FixtureConsumerGroup', 1, 6, 0);
  [4, 5, 1, 0].forEach((off, q) => ctx.consumerOffsetManager.commitOffset('FixtureConsumerGroup', 'FixtureTopic', q, off));
  ctx.consumerOffsetManager.commitOffset('FixtureConsumerGroup', '%RETRY%FixtureConsumerGroup', 0, 0);
  const { req, res } = exchange('admin-consumer-progress.json', 208);
  const r = await call(req);
  t.equal(r.code, 0);
  t.equal(r.extFields, null);
  const ours = bodyJson(r);
  const theirs = bodyJson(res);
  t.same(shape(ours), shape(theirs));
  t.same(Object.keys(ours.offsetTable).sort(), Object.keys(theirs.offsetTable).sort());
  t.match(r.bodyBuffer()!.toString(), /^\{"consumeTps":0\.0,"offsetTable":\{\{/, 'consumeTps written as a Java double');
  const q0 = ours.offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}'];
  t.same(Object.keys(q0), ['brokerOffset', 'consumerOffset', 'lastTimestamp']);
  t.match(q0, { brokerOffset: 4, consumerOffset: 4 });
  t.ok(q0.lastTimestamp > 0);

  // With an online consumer, topics outside its subscriptions are left out.
  const ch = fakeChannel();
  ctx.consumerManager.registerConsumer('FixtureConsumerGroup', { channel: ch, clientId: 'c1', language: 'JAVA', version: 409, lastUpdateTimestamp: Date.now() },
    'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [buildSubscriptionData('FixtureTopic', '*', 'TAG', 1)], false);
  const only = bodyJson(await call(request(208, { consumerGroup: 'FixtureConsumerGroup' })));
  t.equal(Object.keys(only.offsetTable).length, 4);
});

t.test('300 QUERY_TOPIC_CONSUME_BY_WHO and 203 for offline groups, as in admin-query-msg-by-id.json', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  for (const g of ['FixtureConsumerGroup', 'FixtureRetryGroup', 'FixtureOrderlyGroup']) ctx.consumerOffsetManager.commitOffset(g, 'FixtureTopic', 0, 1);
  const who = exchange('admin-query-msg-by-id.json', 300);
  const r = await call(who.req);
  t.equal(r.code, 0);
  t.same(bodyJson(r), bodyJson(who.res));
  t.equal(headerText(encodeCommandToBuffer(r)), headerText(who.resHex));

  const frames = (await import('./admin-helpers.js')).fixtureFrames('admin-query-msg-by-id.json');
  for (const f of frames.filter((x) => x.code === 203 && x.dir === 'c2s')) {
    const reply = frames.find((x) => x.requestCode === 203 && x.opaque === f.opaque)!;
    const ours = await call(RemotingCommand.request(203, { consumerGroup: String((f.header.extFields as Record<string, string>).consumerGroup) }));
    ours.opaque = f.opaque;
    t.equal(headerText(encodeCommandToBuffer(ours)), headerText(Buffer.from(reply.hex, 'hex')), `203 ${f.opaque}: header identical`);
  }
});

t.test('203 GET_CONSUMER_CONNECTION_LIST for an online group, 204 for producers', async (t) => {
  const { ctx, call } = setup(t);
  const ch = fakeChannel('192.0.2.2:40000');
  ctx.consumerManager.registerConsumer('G', { channel: ch, clientId: '192.0.2.2@1', language: 'JAVA', version: 409, lastUpdateTimestamp: Date.now() },
    'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [buildSubscriptionData('T', 'TagA || TagB', 'TAG', 7)], false);
  const r = await call(request(203, { consumerGroup: 'G' }));
  t.equal(r.code, 0);
  const b = bodyJson(r);
  t.same(Object.keys(b), ['connectionSet', 'consumeFromWhere', 'consumeType', 'messageModel', 'subscriptionTable']);
  t.same(b.connectionSet, [{ clientAddr: '192.0.2.2:40000', clientId: '192.0.2.2@1', language: 'JAVA', version: 409 }]);
  t.same(Object.keys(b.subscriptionTable.T), ['classFilterMode', 'codeSet', 'expressionType', 'subString', 'subVersion', 'tagsSet', 'topic']);
  t.same(b.subscriptionTable.T.tagsSet, ['TagA', 'TagB']);

  let p = await call(request(204, { producerGroup: 'PG' }));
  t.equal(p.code, 1);
  t.equal(p.remark, 'the producer group[PG] not exist');
  ctx.producerManager.registerProducer('PG', { channel: ch, clientId: 'p1', language: 'JAVA', version: 409, lastUpdateTimestamp: Date.now() });
  p = await call(request(204, { producerGroup: 'PG' }));
  t.same(bodyJson(p), { connectionSet: [{ clientAddr: '192.0.2.2:40000', clientId: 'p1', language: 'JAVA', version: 409 }] });
});

t.test('43 / 45 / 201: whole tables', async (t) => {
  const { ctx, call } = setup(t);
  ctx.consumerOffsetManager.commitOffset('G', 'T', 0, 12);
  const offsets = await call(request(43));
  t.equal(offsets.bodyBuffer()!.toString(), '{"offsetTable":{"T@G":{0:12}}}');
  const delay = await call(request(45));
  t.same(parseFastJson(delay.bodyBuffer()!.toString()), { offsetTable: { 1: 0, 2: 1 } });
  const groups = bodyJson(await call(request(201)));
  t.same(Object.keys(groups), ['dataVersion', 'subscriptionGroupTable']);
  t.ok('TOOLS_CONSUMER' in groups.subscriptionGroupTable);
});

t.test('200 UPDATE_AND_CREATE_SUBSCRIPTIONGROUP and 207 DELETE_SUBSCRIPTIONGROUP', async (t) => {
  const { ctx, call } = setup(t);
  const body = JSON.stringify({ brokerId: 0, consumeBroadcastEnable: true, consumeEnable: false, consumeFromMinEnable: true,
    groupName: 'G1', notifyConsumerIdsChangedEnable: true, retryMaxTimes: 3, retryQueueNums: 2, whichBrokerWhenConsumeSlowly: 1 });
  const r = await call(request(200, null, Buffer.from(body)));
  t.equal(r.code, 0);
  t.match(ctx.subscriptionGroupManager.table.get('G1'), { consumeEnable: false, retryMaxTimes: 3, retryQueueNums: 2 });
  ctx.consumerOffsetManager.commitOffset('G1', 'T', 0, 5);
  const d = await call(request(207, { groupName: 'G1', removeOffset: true }));
  t.equal(d.code, 0);
  t.notOk(ctx.subscriptionGroupManager.table.has('G1'));
  t.equal(ctx.consumerOffsetManager.queryOffset('G1', 'T', 0), -1);
});

t.test('222 INVOKE_BROKER_TO_RESET_OFFSET', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  [4, 5, 1, 0].forEach((off, q) => ctx.consumerOffsetManager.commitOffset('G', 'FixtureTopic', q, off));
  const reset = (ts: number, isForce = true) => request(222, { topic: 'FixtureTopic', group: 'G', timestamp: ts, isForce });

  let r = await call(reset(0));
  t.equal(r.code, 206, 'no consumer online');
  t.match(r.remark, /^Consumer not online, so can not reset offset, Group: G Topic: FixtureTopic Timestamp: 0$/);
  t.equal((await call(request(222, { topic: 'Nope', group: 'G', timestamp: 0, isForce: true }))).code, 1);
  t.match((await call(request(222, { topic: 'FixtureTopic', group: 'Other', timestamp: 0, isForce: true }))).remark, /THe consumer group <Other> not exist/);

  const ch = fakeChannel();
  ctx.consumerManager.registerConsumer('G', { channel: ch, clientId: 'c1', language: 'JAVA', version: 409, lastUpdateTimestamp: Date.now() },
    'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [buildSubscriptionData('FixtureTopic', '*', 'TAG', 1)], false);
  r = await call(reset(0));
  t.equal(r.code, 0);
  const table = bodyJson(r).offsetTable;
  t.equal(table['{"brokerName":"broker-a","queueId":1,"topic":"FixtureTopic"}'], 0);
  t.equal(ctx.consumerOffsetManager.queryOffset('G', 'FixtureTopic', 1), 0, 'offsets committed on the broker');
  t.equal(ch.oneway.length, 1);
  const notice = ch.oneway[0]!;
  t.equal(notice.code, 220);
  t.ok(notice.isOneway());
  t.match(notice.extFields, { topic: 'FixtureTopic', group: 'G', timestamp: '0' });
  t.same(bodyJson(notice), bodyJson(r));

  // From the C++ admin: the notice carries the list form.
  const fromCpp = reset(0);
  fromCpp.language = 'CPP';
  r = await call(fromCpp);
  t.equal(r.code, 0);
  t.same(bodyJson(ch.oneway[1]!).offsetTable[1], { brokerName: 'broker-a', offset: 0, queueId: 1, topic: 'FixtureTopic' });

  // Not forced: only moves offsets backwards.
  ctx.consumerOffsetManager.commitOffset('G', 'FixtureTopic', 1, 2);
  r = await call(reset(-1, false));
  t.equal(bodyJson(r).offsetTable['{"brokerName":"broker-a","queueId":1,"topic":"FixtureTopic"}'], 2);
});

t.test('317 GET_BROKER_CONSUME_STATS', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  ctx.subscriptionGroupManager.findSubscriptionGroupConfig('G');
  [1, 1, 1, 0].forEach((off, q) => ctx.consumerOffsetManager.commitOffset('G', 'FixtureTopic', q, off));
  const r = await call(request(317, { isOrder: false }));
  t.equal(r.code, 0);
  const text = r.bodyBuffer()!.toString();
  const b = parseFastJson(text);
  t.same(Object.keys(b), ['brokerAddr', 'consumeStatsList', 'totalDiff']);
  t.equal(b.brokerAddr, '127.0.0.1:20911');
  t.equal(b.totalDiff, (4 - 1) + (5 - 1) + (1 - 1));
  const entry = b.consumeStatsList.find((m: Record<string, unknown>) => 'G' in m);
  t.same(Object.keys(entry.G[0]), ['consumeTps', 'offsetTable']);
  t.equal(bodyJson(await call(request(317, { isOrder: true }))).totalDiff, 0, 'no order topics');
});

t.test('321 QUERY_CONSUME_QUEUE', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  const r = await call(request(321, { topic: 'FixtureTopic', queueId: 1, index: 1, count: 2, consumerGroup: 'G' }));
  t.equal(r.code, 0);
  const b = bodyJson(r);
  t.same(Object.keys(b), ['filterData', 'maxQueueIndex', 'minQueueIndex', 'queueData']);
  t.equal(b.filterData, 'G@FixtureTopic is not online!');
  t.equal(b.maxQueueIndex, 5);
  t.equal(b.queueData.length, 2);
  t.same(Object.keys(b.queueData[0]), ['eval', 'physicOffset', 'physicSize', 'tagsCode']);
  t.equal(b.queueData[0].physicSize, RECORD.length);
  t.equal(b.queueData[0].tagsCode, 2598920, 'Java hashCode of TagB');
  const beyond = await call(request(321, { topic: 'FixtureTopic', queueId: 1, index: 9, count: 2 }));
  t.equal(beyond.code, 0);
  t.equal(beyond.remark, 'Index 9 of 1@FixtureTopic is not exist!');
  const none = await call(request(321, { topic: 'Nope', queueId: 0, index: 0, count: 1 }));
  t.equal(none.code, 1);
  t.equal(none.remark, '0@Nope is not exist!');
});

t.test('306, 315, 307, 309', async (t) => {
  const { ctx, call } = setup(t);
  t.equal((await call(request(306))).code, 0);
  t.equal(ctx.store.cleaned, 1);
  const stats = await call(request(315, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'T' }));
  t.equal(stats.code, 1);
  t.equal(stats.remark, 'The stats <TOPIC_PUT_NUMS> <T> not exist');
  ctx.stats.putMessages += 7;
  const put = await call(request(315, { statsName: 'BROKER_PUT_NUMS', statsKey: 'DefaultCluster' }));
  t.equal(put.code, 0);
  const text = put.bodyBuffer()!.toString();
  t.match(text, /^\{"statsDay":\{"avgpt":0\.0,"sum":7,"tps":[0-9.eE-]+\},"statsHour":\{/);
  t.same(Object.keys(parseFastJson(text)), ['statsDay', 'statsHour', 'statsMinute']);
  t.equal(parseFastJson(text).statsMinute.sum, 7);

  const offline = await call(request(307, { consumerGroup: 'G', clientId: 'c1', jstackEnable: false }));
  t.equal(offline.remark, 'The Consumer <G> <c1> not online');
  const ch = fakeChannel();
  ch.answerInvoke = (c) => RemotingCommand.response(0, null, null, Buffer.from(`{"echo":${c.code}}`));
  ctx.consumerManager.registerConsumer('G', { channel: ch, clientId: 'c1', language: 'JAVA', version: 409, lastUpdateTimestamp: Date.now() },
    'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [], false);
  const running = await call(request(307, { consumerGroup: 'G', clientId: 'c1', jstackEnable: false }));
  t.equal(running.code, 0);
  t.same(bodyJson(running), { echo: 307 });
  t.match(ch.invoked[0]!.extFields, { consumerGroup: 'G', clientId: 'c1' });

  fixtureTopic(ctx);
  const direct = await call(request(309, { consumerGroup: 'G', clientId: 'c1', msgId: '7F000001000051AF0000000000000000' }));
  t.equal(direct.code, 0);
  t.same(ch.invoked[1]!.bodyBuffer(), RECORD, 'the stored message goes to the consumer');
  t.equal(ch.invoked[1]!.ext('brokerName'), 'broker-a');
});

t.test('303 QUERY_CONSUME_TIME_SPAN, 305 system topics, 314 CLONE_GROUP_OFFSET', async (t) => {
  const { ctx, call } = setup(t);
  fixtureTopic(ctx);
  [2, 5, 1, 0].forEach((off, q) => ctx.consumerOffsetManager.commitOffset('G', 'FixtureTopic', q, off));
  const span = await call(request(303, { topic: 'FixtureTopic', group: 'G' }));
  t.equal(span.code, 0);
  const set = bodyJson(span).consumeTimeSpanSet;
  t.equal(set.length, 4);
  t.same(Object.keys(set[0]), ['consumeTimeStamp', 'delayTime', 'maxTimeStamp', 'messageQueue', 'minTimeStamp']);
  t.same(set[0].messageQueue, { brokerName: 'broker-a', queueId: 0, topic: 'FixtureTopic' });
  t.equal(set[0].consumeTimeStamp, 1795742400001, 'store time of the last consumed message');
  t.ok(set[0].delayTime > 0, 'queue 0 is behind');
  t.equal(set[1].delayTime, 0, 'queue 1 is caught up');
  t.equal((await call(request(303, { topic: 'Nope', group: 'G' }))).code, 17);

  const sys = bodyJson(await call(request(305)));
  t.ok(sys.topicList.includes('SCHEDULE_TOPIC_XXXX'));

  const clone = await call(request(314, { srcGroup: 'G', destGroup: 'G2', offline: true }));
  t.equal(clone.code, 0);
  t.same([...ctx.consumerOffsetManager.queryOffsets('G2', 'FixtureTopic')], [[0, 2], [1, 5], [2, 1], [3, 0]]);
});

t.test('unknown request fields are errors the server turns into SYSTEM_ERROR', async (t) => {
  const { call } = setup(t);
  await t.rejects(call(request(202)), /topic/);
});
