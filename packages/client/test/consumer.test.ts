// Push consumer details against a scripted broker: send-back and its fallback resend, flow
// control per queue, commit offsets, and the Java-style client-side tag filter.
import t from 'tap';
import { PushConsumer, parseConsumeTimestamp } from '../src/consumer/push-consumer.js';
import { encodeStoredMessage, stringToProperties } from '../src/message.js';
import type { MessageExt } from '../src/message.js';
import { MockBroker } from './mock-broker.js';
import { sleep, waitFor } from '../../../test/helpers/wait.js';

function stored(topic: string, queueId: number, queueOffset: number, body: string, props: Record<string, string> = {}): Buffer {
  return encodeStoredMessage({
    topic, body: Buffer.from(body), tags: props['TAGS'], keys: undefined, properties: { UNIQ_KEY: `ID${queueId}X${queueOffset}`, ...props }, msgId: '',
    offsetMsgId: '', queueId, queueOffset, commitLogOffset: 1000 + queueOffset, sysFlag: 0, flag: 0, bornTimestamp: 1, bornHost: '127.0.0.1:1',
    storeTimestamp: 2, storeHost: '127.0.0.1:2', reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: 0, storeSize: 0, brokerName: 'mock-b',
  });
}

t.test('failed messages: CONSUMER_SEND_MSG_BACK, else a resend to %RETRY%group', async (t) => {
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  mock.stored.set('TopicF:0', [stored('TopicF', 0, 0, 'fail-a'), stored('TopicF', 0, 1, 'ok-b')]);
  const c = new PushConsumer({ groupName: 'FG', namesrvAddr: mock.addr, instanceName: 'fail', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  let failures = 0;
  c.subscribe('TopicF', '*').onMessage((m) => {
    if (m.body.toString().startsWith('fail')) { failures++; return 'RECONSUME_LATER'; }
    return undefined;
  });
  await c.start();
  await waitFor(() => mock.requests.some((r) => r.code === 36), 5000, 'send back');
  const back = mock.requests.find((r) => r.code === 36)!;
  t.same(Object.keys(back.extFields!).sort(), ['bname', 'delayLevel', 'group', 'maxReconsumeTimes', 'offset', 'originMsgId', 'originTopic', 'unitMode'].sort());
  t.equal(back.extFields?.['offset'], '1000', 'commit log offset of the failed message');
  t.equal(back.extFields?.['delayLevel'], '0');
  t.equal(back.extFields?.['maxReconsumeTimes'], '16');
  t.equal(back.extFields?.['originMsgId'], 'ID0X0');
  // Both done: the offset moves past both messages.
  await c.persistConsumerOffset(true);
  const commit = mock.requests.filter((r) => r.code === 15 && r.extFields?.['topic'] === 'TopicF' && r.extFields?.['queueId'] === '0').pop();
  t.equal(commit?.extFields?.['commitOffset'], '2');
  await c.shutdown();

  // Now the broker refuses the send-back: the consumer resends the message to %RETRY%FG itself.
  mock.sendBackCode = 1;
  mock.stored.set('TopicG:0', [stored('TopicG', 0, 0, 'fail-c', { TAGS: 'T' })]);
  const c2 = new PushConsumer({ groupName: 'FG2', namesrvAddr: mock.addr, instanceName: 'fail2', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  c2.subscribe('TopicG', '*').onMessage(() => 'RECONSUME_LATER');
  await c2.start();
  await waitFor(() => mock.requests.some((r) => r.code === 310 && r.extFields?.['b'] === '%RETRY%FG2'), 8000, 'fallback resend');
  const resend = mock.requests.find((r) => r.code === 310 && r.extFields?.['b'] === '%RETRY%FG2')!;
  const props = stringToProperties(resend.extFields!['i']!);
  t.equal(props['RETRY_TOPIC'], 'TopicG');
  t.equal(props['ORIGIN_MESSAGE_ID'], 'ID0X0');
  t.equal(props['UNIQ_KEY'], 'ID0X0', 'same message id');
  t.equal(props['DELAY'], '3', 'delay level 3 + reconsumeTimes');
  t.notOk('RECONSUME_TIME' in props, 'moved into header j');
  t.equal(resend.extFields?.['j'], '1');
  t.equal(resend.extFields?.['l'], '16');
  t.equal(resend.extFields?.['a'], 'CLIENT_INNER_PRODUCER');
  await c2.shutdown();
});

t.test('flow control: a queue with too many cached messages is not pulled', async (t) => {
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  mock.stored.set('TopicH:0', Array.from({ length: 40 }, (_, i) => stored('TopicH', 0, i, `m${i}`)));
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const seen: MessageExt[] = [];
  const c = new PushConsumer({ groupName: 'HG', namesrvAddr: mock.addr, instanceName: 'flow', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    pullThresholdForQueue: 5, pullBatchSize: 8, consumeConcurrency: 2 });
  c.subscribe('TopicH', '*').onMessage(async (m) => { seen.push(m); await gate; });
  await c.start();
  await waitFor(() => seen.length >= 2, 5000, 'consumption started');
  await sleep(800); // a window in which no second pull may go out (the flow control under test)
  const pulls = mock.requests.filter((r) => r.code === 11 && r.extFields?.['topic'] === 'TopicH' && r.extFields?.['queueId'] === '0');
  t.equal(pulls.length, 1, 'one batch of 8 pulled, then the 5-message limit holds further pulls');
  t.equal(seen.length, 2, 'consumeConcurrency bounds the handler calls');
  release();
  await waitFor(() => seen.length >= 40, 8000, 'everything after release');
  t.same(seen.map((m) => m.body.toString()).sort(), Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
  t.equal(seen[0]!.properties['MAX_OFFSET'], '40', 'pull reply offsets copied into properties');
  await c.shutdown();
});

t.test('tag filter on the client like the Java client', async (t) => {
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  mock.stored.set('TopicT:0', [stored('TopicT', 0, 0, 'a', { TAGS: 'A' }), stored('TopicT', 0, 1, 'b', { TAGS: 'B' }), stored('TopicT', 0, 2, 'none')]);
  const got: string[] = [];
  const c = new PushConsumer({ groupName: 'TG', namesrvAddr: mock.addr, instanceName: 'tags', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  c.subscribe('TopicT', 'A').onMessage((m) => { got.push(m.body.toString()); });
  await c.start();
  await waitFor(() => got.length >= 1, 5000, 'tagged message');
  // all three pulled (the next pull asks from offset 3) and nothing left in the process queue
  await waitFor(() => mock.requests.some((r) => r.code === 11 && r.extFields?.['topic'] === 'TopicT' && r.extFields?.['queueOffset'] === '3')
    && [...c.rebalance.processQueueTable.values()].every((e) => e.pq.msgCount === 0), 5000, 'the queue read to its end');
  t.same(got, ['a'], 'untagged and other-tag messages are skipped');
  await c.shutdown();
});

t.test('consume from where: last (GET_MAX_OFFSET), first (0), timestamp (SEARCH_OFFSET_BY_TIMESTAMP)', async (t) => {
  t.equal(parseConsumeTimestamp('20261127013000'), new Date(2026, 10, 27, 1, 30, 0).getTime());
  t.throws(() => parseConsumeTimestamp('2026-11-27'));
  const mock = await new MockBroker().start();
  t.teardown(() => mock.close());
  const firstPull = async (group: string, opts: Record<string, unknown>) => {
    const c = new PushConsumer({ groupName: group, namesrvAddr: mock.addr, instanceName: group, ...opts });
    c.subscribe('TopicW', '*').onMessage(() => {});
    await c.start();
    await waitFor(() => mock.requests.some((r) => r.code === 11 && r.extFields?.['consumerGroup'] === group && r.extFields?.['topic'] === 'TopicW'), 5000, `pull of ${group}`);
    await c.shutdown();
    const retry = mock.requests.find((r) => r.code === 11 && r.extFields?.['consumerGroup'] === group && r.extFields?.['topic'] === `%RETRY%${group}`);
    if (retry && opts['consumeFromWhere'] !== 'CONSUME_FROM_TIMESTAMP') t.equal(retry.extFields?.['queueOffset'], '0', 'retry topics start at 0');
    return mock.requests.find((r) => r.code === 11 && r.extFields?.['consumerGroup'] === group && r.extFields?.['topic'] === 'TopicW')!.extFields?.['queueOffset'];
  };
  t.equal(await firstPull('WL', {}), '7', 'default LAST: the max offset');
  t.equal(await firstPull('WF', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' }), '0');
  const ts = Date.now() - 60_000;
  t.equal(await firstPull('WT', { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP', consumeTimestamp: ts }), '3');
  const search = mock.requests.find((r) => r.code === 29)!;
  t.equal(search.extFields?.['timestamp'], String(ts));
});
