// Delayed messages: delayTimeLevel picks one of the broker's messageDelayLevel entries
// (default "1s 5s 10s 30s 1m 2m ... 2h": level 1 = 1 s, level 3 = 10 s).
//   node examples/delayed.mjs [level]
import { Producer, PushConsumer } from '@rmq/client';
import { countdown, namesrvAddr, suffix } from './common.mjs';

const topic = process.env.TOPIC ?? `ExampleDelayed_${suffix}`;
const level = Number(process.argv[2] ?? 1);

const producer = new Producer({ groupName: 'example_delayed_producer', namesrvAddr });
await producer.start();
// A plain message first, so the topic exists before the consumer asks for its route.
await producer.send({ topic, tags: 'now', body: 'sent without delay' });

const received = countdown(2, 'the delayed message');
const consumer = new PushConsumer({ groupName: `example_delayed_${suffix}`, namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
let sentAt = 0;
consumer.subscribe(topic, '*').onMessage(async (msg) => {
  if (msg.tags === 'later') console.log(`delayed message arrived ${Date.now() - sentAt} ms after it was sent: ${msg.body.toString()}`);
  else console.log(`received: ${msg.body.toString()}`);
  received.done();
});
await consumer.start();
sentAt = Date.now();
const r = await producer.send({ topic, tags: 'later', body: `delayed by level ${level}`, delayTimeLevel: level });
console.log(`sent delayed message ${r.msgId} (level ${level})`);
try {
  await received.promise;
} finally {
  await consumer.shutdown();
  await producer.shutdown();
}
