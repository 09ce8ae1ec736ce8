// Ordered messages: every step of one order goes to the same queue (shardingKey), and an orderly
// consumer handles one queue's messages one at a time, so each order's steps arrive in sequence.
//   node examples/ordered.mjs [orders]
import { Producer, PushConsumer } from '@rmq/client';
import { countdown, namesrvAddr, suffix } from './common.mjs';

const topic = process.env.TOPIC ?? `ExampleOrdered_${suffix}`;
const orders = Number(process.argv[2] ?? 4);
const steps = ['created', 'paid', 'shipped', 'delivered'];

const producer = new Producer({ groupName: 'example_ordered_producer', namesrvAddr });
await producer.start();
for (let step = 0; step < steps.length; step++) {
  for (let order = 0; order < orders; order++) {
    const r = await producer.send({ topic, tags: steps[step], body: JSON.stringify({ order, step }) }, { shardingKey: `order-${order}` });
    console.log(`sent order-${order} ${steps[step]} -> queue ${r.queue.queueId}`);
  }
}
await producer.shutdown();

const seen = new Map(); // order -> last step seen
const received = countdown(orders * steps.length, 'ordered messages');
let outOfOrder = 0;
const consumer = new PushConsumer({ groupName: `example_ordered_${suffix}`, namesrvAddr, orderly: true, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
consumer.subscribe(topic, '*').onMessage(async (msg) => {
  const { order, step } = JSON.parse(msg.body.toString());
  const last = seen.get(order) ?? -1;
  if (step !== last + 1) outOfOrder++;
  seen.set(order, step);
  console.log(`order-${order} ${steps[step]} (queue ${msg.queueId})`);
  received.done();
});
await consumer.start();
try {
  await received.promise;
} finally {
  await consumer.shutdown();
}
if (outOfOrder > 0) throw new Error(`${outOfOrder} steps arrived out of order`);
console.log(`all ${orders} orders arrived in order`);
