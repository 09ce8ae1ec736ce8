// Sends 10 messages to a topic and prints where each one went.
//   node examples/producer.mjs [topic] [count]          (topic default ExampleTopic)
// The topic is created on the first send (autoCreateTopicEnable=true, the default).
import { Producer } from '@rmq/client';
import { namesrvAddr } from './common.mjs';

const topic = process.argv[2] ?? 'ExampleTopic';
const count = Number(process.argv[3] ?? 10);

const producer = new Producer({ groupName: 'example_producer', namesrvAddr });
await producer.start();
try {
  for (let i = 0; i < count; i++) {
    const r = await producer.send({ topic, tags: 'TagA', keys: `order-${i}`, body: JSON.stringify({ orderId: i, amount: 10 * i }) });
    console.log(`sent #${i} ${r.status} msgId=${r.msgId} queue=${r.queue.brokerName}/${r.queue.queueId} offset=${r.queueOffset}`);
  }
} finally {
  await producer.shutdown();
}
