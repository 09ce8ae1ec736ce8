// Transactional messages: the broker keeps a half message invisible until the producer's local
// transaction says COMMIT_MESSAGE (delivered) or ROLLBACK_MESSAGE (dropped). If the producer answers
// UNKNOW, the broker asks again later (checkLocalTransaction; after transactionTimeOut, every
// transactionCheckInterval).
//   node examples/transaction.mjs
import { Producer, PushConsumer } from '@rmq/client';
import { countdown, namesrvAddr, suffix } from './common.mjs';

const topic = process.env.TOPIC ?? `ExampleTransaction_${suffix}`;
const committed = new Set(); // your database would say this

const producer = new Producer({
  groupName: `example_tx_producer_${suffix}`,
  namesrvAddr,
  transactionListener: {
    // Runs right after the half message is stored: do the local work, then say how it went.
    executeLocalTransaction(msg, arg) {
      if (arg === 'ok') { committed.add(msg.keys); return 'COMMIT_MESSAGE'; }
      return 'ROLLBACK_MESSAGE';
    },
    // The broker's check-back for a transaction left UNKNOW.
    checkLocalTransaction(msg) {
      return committed.has(msg.keys) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE';
    },
  },
});
await producer.start();
// A plain message first, so the topic exists before the consumer asks for its route.
await producer.send({ topic, tags: 'plain', body: 'not transactional' });

const received = countdown(2, 'the plain and the committed message');
const bodies = [];
const consumer = new PushConsumer({ groupName: `example_tx_consumer_${suffix}`, namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
consumer.subscribe(topic, '*').onMessage(async (msg) => {
  console.log(`received: ${msg.body.toString()}`);
  bodies.push(msg.body.toString());
  received.done();
});
await consumer.start();

const a = await producer.sendMessageInTransaction({ topic, keys: 'tx-1', body: 'committed payment' }, 'ok');
console.log(`tx-1: ${a.localTransactionState}`);
const b = await producer.sendMessageInTransaction({ topic, keys: 'tx-2', body: 'rolled back payment' }, 'fail');
console.log(`tx-2: ${b.localTransactionState}`);
try {
  await received.promise;
  await new Promise((r) => setTimeout(r, 1000)); // a rolled-back message would show up here: it does not
} finally {
  await consumer.shutdown();
  await producer.shutdown();
}
if (bodies.includes('rolled back payment')) throw new Error('the rolled-back message was delivered');
console.log('the committed message was delivered, the rolled-back one was not');
