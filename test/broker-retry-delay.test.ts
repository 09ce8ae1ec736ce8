// Retry, dead-letter and delay levels through ali-ons, with short delay levels so it runs fast:
// a failed message comes back through %RETRY%<group> (level 3 + reconsumeTimes), reaches
// %DLQ%<group> after maxReconsumeTimes, and a DELAY message arrives after its level's delay,
// also across a broker restart.
import t from 'tap';
import { decodeRecord } from '../packages/broker/src/common/record.js';
import { parseProperties } from '../packages/broker/src/common/properties.js';
import { closeClients, createTopic, heldQueues, newConsumer, newProducer, ons, sleep, startCluster, waitFor } from './helpers/broker-cluster.js';

const LEVELS = '200ms 400ms 600ms 800ms 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s';

t.test('a failing message is retried through %RETRY% and lands in %DLQ% after maxReconsumeTimes', async (t) => {
  const c = await startCluster(t, { messageDelayLevel: LEVELS });
  await createTopic(c, 'RetryTopic');
  const producer = newProducer(c, 'retry_producer');
  await producer.ready();
  const deliveries: Array<{ body: string; reconsumeTimes: number; topic: string; at: number }> = [];
  const consumer = newConsumer(c, 'retry_group', { instanceName: 'r1', maxReconsumeTimes: 2 });
  let onceFailed = false;
  consumer.subscribe('RetryTopic', '*', async (msg: any) => {
    const body = msg.body.toString();
    deliveries.push({ body, reconsumeTimes: msg.reconsumeTimes, topic: msg.topic, at: Date.now() });
    if (body === 'always-fails') throw new Error('handler failure');
    if (body === 'fails-once' && !onceFailed) {
      onceFailed = true;
      return ons.Consumer.ACTION_RETRY ?? 'ReconsumeLater';
    }
  });
  await consumer.ready();
  const sent = await producer.send(new ons.Message('RetryTopic', 'TagR', 'always-fails'));
  await producer.send(new ons.Message('RetryTopic', 'TagR', 'fails-once'));
  await producer.send(new ons.Message('RetryTopic', 'TagR', 'fine'));

  const dlq = '%DLQ%retry_group';
  await waitFor(() => c.broker.store.getMaxOffsetInQueue(dlq, 0) >= 1, 30_000, 'message in the DLQ');
  await waitFor(() => deliveries.filter((d) => d.body === 'fails-once').length >= 2, 10_000, 'fails-once redelivered');
  const fails = deliveries.filter((d) => d.body === 'always-fails');
  t.same(fails.map((d) => d.reconsumeTimes), [0, 1, 2], 'delivered with reconsumeTimes 0, 1, 2');
  t.ok(fails.every((d) => d.topic === 'RetryTopic'), 'the client sees the original topic (RETRY_TOPIC)');
  t.ok(fails[1]!.at - fails[0]!.at >= 500, 'first retry waited level 3 (600 ms)');
  t.same(deliveries.filter((d) => d.body === 'fails-once').map((d) => d.reconsumeTimes), [0, 1], 'fails-once: one retry');
  t.equal(deliveries.filter((d) => d.body === 'fine').length, 1, 'fine: delivered once');

  const retryTc = c.broker.topicConfigManager.selectTopicConfig('%RETRY%retry_group');
  t.match(retryTc, { readQueueNums: 1, writeQueueNums: 1, perm: 6 }, 'retry topic');
  t.match(c.broker.topicConfigManager.selectTopicConfig(dlq), { readQueueNums: 1, writeQueueNums: 1, perm: 2 }, 'DLQ topic is write-only');
  const got = c.broker.store.getMessage('check', dlq, 0, 0, 32, 1 << 20, null);
  t.equal(got.messageCount, 1, 'exactly one message in the DLQ');
  const m = decodeRecord(got.buffers[0]!);
  const props = parseProperties(m.properties);
  t.equal(m.body.toString(), 'always-fails');
  t.equal(m.reconsumeTimes, 3, 'reconsumeTimes counts the three failures');
  t.equal(props.get('RETRY_TOPIC'), 'RetryTopic');
  t.equal(props.get('ORIGIN_MESSAGE_ID'), sent.msgId, 'ORIGIN_MESSAGE_ID is the first offset msg id');
  t.equal(props.get('TAGS'), 'TagR');
  await sleep(1500); // a window in which nothing more may arrive (the thing under test)
  t.equal(c.broker.store.getMaxOffsetInQueue(dlq, 0), 1, 'nothing more reaches the DLQ');
  t.equal(deliveries.filter((d) => d.body === 'always-fails').length, 3, 'no delivery after the DLQ');
  await closeClients(c, [consumer, producer]);
});

t.test('a DELAY message is delivered after its level, with REAL_TOPIC/REAL_QID and DELAY kept', async (t) => {
  const c = await startCluster(t, { messageDelayLevel: '1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s' });
  await createTopic(c, 'DelayTopic');
  const producer = newProducer(c, 'delay_producer');
  await producer.ready();
  const got: Array<{ at: number; msg: any }> = [];
  const consumer = newConsumer(c, 'delay_group', { instanceName: 'd1' });
  consumer.subscribe('DelayTopic', '*', async (msg: any) => { got.push({ at: Date.now(), msg }); });
  await consumer.ready();
  await waitFor(() => heldQueues(consumer, 'DelayTopic').length === 4, 10_000, 'the consumer to hold the four queues');
  const msg = new ons.Message('DelayTopic', 'TagD', 'delayed-2s');
  msg.delayTimeLevel = 2;
  const sentAt = Date.now();
  const r = await producer.send(msg);
  t.equal(r.sendStatus, 'SEND_OK');
  await producer.send(new ons.Message('DelayTopic', 'TagN', 'now'));
  await waitFor(() => got.length >= 2, 10_000, 'both messages');
  const now = got.find((g) => g.msg.body.toString() === 'now')!;
  const delayed = got.find((g) => g.msg.body.toString() === 'delayed-2s')!;
  t.ok(now.at - sentAt < 1500, 'the plain message arrives at once');
  const late = delayed.at - sentAt;
  t.ok(late >= 1900, `delayed message not before its level (${late} ms)`);
  t.ok(late <= 3200, `delayed message on time, within ~1 s (${late} ms)`);
  t.equal(delayed.msg.properties.REAL_TOPIC, 'DelayTopic');
  t.ok(delayed.msg.properties.REAL_QID !== undefined, 'REAL_QID');
  t.equal(delayed.msg.properties.DELAY, '2', 'DELAY kept as Apache 4.9.8 does');
  t.equal(delayed.msg.tags, 'TagD');
  t.equal(c.broker.store.getMaxOffsetInQueue('SCHEDULE_TOPIC_XXXX', 1), 1, 'staged in SCHEDULE_TOPIC_XXXX queue level-1');
  await closeClients(c, [consumer, producer]);
});

t.test('delivery progress survives a broker restart (delayOffset.json)', { skip: process.env.BROKER_TEST_STORE === 'memory' }, async (t) => {
  const c = await startCluster(t, { messageDelayLevel: '1s 3s 5s' });
  await createTopic(c, 'DelayTopic2');
  const producer = newProducer(c, 'delay_producer2');
  await producer.ready();
  const early = new ons.Message('DelayTopic2', 'A', 'level-1');
  early.delayTimeLevel = 1;
  await producer.send(early);
  const later = new ons.Message('DelayTopic2', 'B', 'level-2');
  later.delayTimeLevel = 2;
  const sentAt = Date.now();
  await producer.send(later);
  await waitFor(() => c.broker.scheduleMessageService.offsetTable.get(1) === 1, 5000, 'level 1 delivered');
  await closeClients(c, [producer]);
  await c.restartBroker({ messageDelayLevel: '1s 3s 5s' });
  await createTopic(c, 'DelayTopic2');
  const fs = await import('node:fs');
  const path = await import('node:path');
  t.match(fs.readFileSync(path.join(c.dir, 'config', 'delayOffset.json'), 'utf8'), /"offsetTable":\{1:1,2:0/, 'progress persisted');
  t.equal(c.broker.scheduleMessageService.offsetTable.get(1), 1, 'level 1 progress reloaded');
  await waitFor(() => c.broker.store.getMaxOffsetInQueue('DelayTopic2', 0) + c.broker.store.getMaxOffsetInQueue('DelayTopic2', 1)
    + c.broker.store.getMaxOffsetInQueue('DelayTopic2', 2) + c.broker.store.getMaxOffsetInQueue('DelayTopic2', 3) >= 2, 8000, 'level 2 delivered after restart');
  t.ok(Date.now() - sentAt >= 2900, 'not before its delay');
  let total = 0;
  for (let q = 0; q < 4; q++) total += c.broker.store.getMaxOffsetInQueue('DelayTopic2', q);
  t.equal(total, 2, 'each delayed message delivered once');
});
