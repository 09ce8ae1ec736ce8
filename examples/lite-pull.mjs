// Polls messages yourself with a lite pull consumer and commits the offsets when done.
//   node examples/producer.mjs ExampleTopic 10 && node examples/lite-pull.mjs ExampleTopic 10
import { LitePullConsumer } from '@rmq/client';
import { namesrvAddr, timeoutMs } from './common.mjs';

const topic = process.argv[2] ?? 'ExampleTopic';
const count = Number(process.argv[3] ?? 10);

const consumer = new LitePullConsumer({ groupName: process.env.GROUP ?? 'example_lite_pull', namesrvAddr, autoCommit: false,
  consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
consumer.subscribe(topic, '*');
await consumer.start();
try {
  let got = 0;
  const end = Date.now() + timeoutMs;
  while (got < count) {
    if (Date.now() > end) throw new Error(`timed out: ${got} of ${count} messages`);
    const msgs = await consumer.poll(1000);
    for (const m of msgs) console.log(`polled ${m.msgId} queue=${m.queueId} offset=${m.queueOffset} body=${m.body.toString()}`);
    got += msgs.length;
    if (msgs.length > 0) await consumer.commitSync(); // the next poll (and the next process) starts after these
  }
  console.log(`polled ${got} messages`);
} finally {
  await consumer.shutdown();
}
