// JSON request bodies read through the typed decoders of @rmq/remoting: a heartbeat, lock, check
// client config or subscription group body with a field of the wrong type is answered with an error
// naming the field (as a body that does not parse is), never a crash or a half-registered client.
import t from 'tap';
import { JsonDecodeError, RequestCode, ResponseCode } from '@rmq/remoting';
import { requests as clientManage } from '../src/processor/client-manage.js';
import { requests as lockRequests } from '../src/processor/lock.js';
import { updateAndCreateSubscriptionGroup } from '../src/processor/admin/groups.js';
import { AclError, neededResources } from '../src/acl/plain-acl.js';
import { RebalanceLockManager } from '../src/client/rebalance-lock-manager.js';
import { fakeChannel, makeContext, processors, request, tempDir } from './admin-helpers.js';

const body = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const heartbeat = (over: Record<string, unknown> = {}, consumer: Record<string, unknown> = {}): Record<string, unknown> => ({
  clientID: '127.0.0.1@1',
  consumerDataSet: [{
    groupName: 'G1', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    subscriptionDataSet: [{ topic: 'T1', subString: '*', expressionType: 'TAG', tagsSet: [], codeSet: [], subVersion: 1 }],
    unitMode: false, ...consumer,
  }],
  producerDataSet: [{ groupName: 'P1' }],
  ...over,
});

t.test('HEART_BEAT: a well-typed body registers; a wrong-typed field is SYSTEM_ERROR naming it', async (t) => {
  const ctx = makeContext(tempDir(t));
  const call = processors(clientManage, ctx);
  const ok = await call(request(RequestCode.HEART_BEAT, null, body(heartbeat())));
  t.equal(ok.code, ResponseCode.SUCCESS);
  t.same(ctx.consumerManager.getConsumerGroupInfo('G1')?.allClientIds(), ['127.0.0.1@1']);

  const cases: Array<[string, unknown, RegExp]> = [
    ['clientID a number', heartbeat({ clientID: 12 }), /heartbeat body\.clientID: expected a string, got number 12/],
    ['consumerDataSet an object', heartbeat({ consumerDataSet: { groupName: 'G2' } }), /heartbeat body\.consumerDataSet: expected an array, got an object/],
    ['groupName a number', heartbeat({}, { groupName: 7 }), /heartbeat body\.consumerDataSet\[0\]\.groupName: expected a string/],
    ['unitMode a string', heartbeat({}, { groupName: 'G2', unitMode: 'yes' }), /consumerDataSet\[0\]\.unitMode: expected a boolean/],
    ['a subscription that is a string', heartbeat({}, { groupName: 'G2', subscriptionDataSet: ['T1'] }), /subscriptionDataSet\[0\]: expected an object/],
    ['producerDataSet entry a number', heartbeat({ producerDataSet: [5] }), /heartbeat body\.producerDataSet\[0\]: expected an object/],
    ['the body an array', '[1,2]', /heartbeat body: expected an array|heartbeat body: expected an object, got an array/],
    ['the body null', 'null', /heartbeat body: expected an object, got null/],
    ['the body not JSON', '{not json', /heartbeat body is illegal: fastjson/],
  ];
  for (const [name, b, remark] of cases) {
    const res = await call(request(RequestCode.HEART_BEAT, null, body(b)));
    t.equal(res.code, ResponseCode.SYSTEM_ERROR, name);
    t.match(res.remark, remark, `${name}: ${res.remark}`);
  }
  t.notOk(ctx.consumerManager.getConsumerGroupInfo('G2'), 'no group half registered from a refused heartbeat');
});

t.test('CHECK_CLIENT_CONFIG: wrong-typed subscriptionData fields are SYSTEM_ERROR', async (t) => {
  const ctx = makeContext(tempDir(t));
  const call = processors(clientManage, ctx);
  const good = await call(request(RequestCode.CHECK_CLIENT_CONFIG, null, body({ clientId: 'c', group: 'g', subscriptionData: { topic: 'T', subString: '*', expressionType: 'TAG' } })));
  t.equal(good.code, ResponseCode.SUCCESS);
  const bad = await call(request(RequestCode.CHECK_CLIENT_CONFIG, null, body({ subscriptionData: { topic: 'T', expressionType: 92 } })));
  t.equal(bad.code, ResponseCode.SYSTEM_ERROR);
  t.match(bad.remark, /check client config body\.subscriptionData\.expressionType: expected a string, got number 92/);
  const notObject = await call(request(RequestCode.CHECK_CLIENT_CONFIG, null, body({ subscriptionData: 'SQL92' })));
  t.equal(notObject.code, ResponseCode.SYSTEM_ERROR);
  t.match(notObject.remark, /subscriptionData: expected an object/);
});

t.test('LOCK_BATCH_MQ / UNLOCK_BATCH_MQ: wrong-typed fields are SYSTEM_ERROR naming them', async (t) => {
  const ctx = Object.assign(makeContext(tempDir(t)), { rebalanceLockManager: new RebalanceLockManager() });
  const call = processors(lockRequests, ctx);
  const mq = { topic: 'T', brokerName: 'b', queueId: 1 };
  const ok = await call(request(RequestCode.LOCK_BATCH_MQ, null, body({ consumerGroup: 'g', clientId: 'c1', mqSet: [mq, { ...mq, queueId: '2' }] })));
  t.equal(ok.code, ResponseCode.SUCCESS);
  t.same(JSON.parse(ok.bodyBuffer()!.toString()).lockOKMQSet.map((m: { queueId: number }) => m.queueId), [1, 2], 'a quoted queueId is read as its number');

  const cases: Array<[number, unknown, RegExp]> = [
    [RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'g', clientId: 9, mqSet: [mq] }, /lock request body\.clientId: expected a string, got number 9/],
    [RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'g', clientId: 'c1', mqSet: [{ ...mq, queueId: 'one' }] }, /lock request body\.mqSet\[0\]\.queueId: expected a number, got a string "one"/],
    [RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'g', clientId: 'c1', mqSet: mq }, /lock request body\.mqSet: expected an array, got an object/],
    [RequestCode.UNLOCK_BATCH_MQ, { consumerGroup: ['g'], clientId: 'c1', mqSet: [] }, /lock request body\.consumerGroup: expected a string, got an array/],
    [RequestCode.UNLOCK_BATCH_MQ, '"text"', /lock request body: expected an object, got a string "text"/],
    [RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'g', mqSet: [] }, /lacks consumerGroup or clientId/],
  ];
  for (const [code, b, remark] of cases) {
    const res = await call(request(code, null, body(b)));
    t.equal(res.code, ResponseCode.SYSTEM_ERROR, String(remark));
    t.match(res.remark, remark, res.remark ?? '');
  }
  const still = await call(request(RequestCode.LOCK_BATCH_MQ, null, body({ consumerGroup: 'g', clientId: 'c2', mqSet: [mq] })));
  t.same(JSON.parse(still.bodyBuffer()!.toString()).lockOKMQSet, [], 'c1 still holds the queue after the refused unlocks');
});

t.test('UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: typed fields over the defaults; a wrong type throws JsonDecodeError', async (t) => {
  const ctx = makeContext(tempDir(t));
  const ch = fakeChannel();
  const res = await updateAndCreateSubscriptionGroup(ctx, request(200, null, body({ groupName: 'SG', retryQueueNums: 3, consumeBroadcastEnable: false, extra: 'ignored' })), ch);
  t.equal(res.code, ResponseCode.SUCCESS);
  const g = ctx.subscriptionGroupManager.table.get('SG')!;
  t.equal(g.retryQueueNums, 3);
  t.equal(g.consumeBroadcastEnable, false);
  t.equal(g.consumeEnable, true, 'absent fields keep the defaults');
  t.equal((await updateAndCreateSubscriptionGroup(ctx, request(200, null, body('null')), ch)).code, ResponseCode.SUCCESS, 'a null body is no config, as Apache');
  t.throws(() => updateAndCreateSubscriptionGroup(ctx, request(200, null, body({ groupName: 'SG', retryQueueNums: true })), ch),
    new JsonDecodeError('subscription group body.retryQueueNums', 'a number', true));
  t.throws(() => updateAndCreateSubscriptionGroup(ctx, request(200, null, body({ groupName: 'SG', consumeEnable: 'no' })), ch),
    { name: 'JsonDecodeError', message: /subscription group body\.consumeEnable: expected a boolean/ });
  t.throws(() => updateAndCreateSubscriptionGroup(ctx, request(200, null, body([1])), ch), { message: /subscription group body: expected an object/ });
  t.equal(ctx.subscriptionGroupManager.table.get('SG')!.retryQueueNums, 3, 'a refused body changes nothing');
});

t.test('ACL: the heartbeat resources come from typed fields; a wrong type is an AclError', async (t) => {
  const res = neededResources(request(RequestCode.HEART_BEAT, {}, body(heartbeat())));
  t.same([...res!.keys()].sort(), ['%RETRY%G1', 'T1']);
  t.throws(() => neededResources(request(RequestCode.HEART_BEAT, {}, body(heartbeat({}, { subscriptionDataSet: [{ topic: 5 }] })))),
    new AclError('heartbeat body is illegal: heartbeat body.consumerDataSet[0].subscriptionDataSet[0].topic: expected a string, got number 5'));
  t.throws(() => neededResources(request(RequestCode.HEART_BEAT, {}, body('{x'))), { name: 'Error', message: /heartbeat body does not parse/ });
  t.throws(() => neededResources(request(RequestCode.HEART_BEAT, {}, body('7'))), { message: /heartbeat body is illegal: heartbeat body: expected an object, got number 7/ });
});
