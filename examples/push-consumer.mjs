// Receives messages from a topic with a push consumer (the broker holds each pull until messages
// arrive) and exits after `count` of them; count 0 runs until Ctrl-C.
//   node examples/producer.mjs ExampleTopic 10 && node examples/push-consumer.mjs ExampleTopic 10
import { PushConsumer } from '@rmq/client';
import { countdown, namesrvAddr } from './common.mjs';

const topic = process.argv[2] ?? 'ExampleTopic';
const count = Number(process.argv[3] ?? 10);
const group = process.env.GROUP ?? 'example_push_consumer';

const consumer = new PushConsumer({ groupName: group, namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
const received = countdown(count, 'messages');
consumer.subscribe(topic, '*').onMessage(async (msg) => {
  console.log(`received ${msg.msgId} queue=${msg.queueId} offset=${msg.queueOffset} tags=${msg.tags} body=${msg.body.toString()}`);
  received.done();
  // Returning nothing (or 'CONSUME_SUCCESS') acknowledges; 'RECONSUME_LATER' or a throw redelivers later.
});
await consumer.start();
if (count === 0) {
  process.on('SIGINT', () => void consumer.shutdown().then(() => process.exit(0)));
} else {
  try {
    await received.promise;
    console.log(`received ${count} messages`);
  } finally {
    await consumer.shutdown(); // persists the group's offsets on the broker
  }
}
