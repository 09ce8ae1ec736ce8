// Two brokers (standalone broker-a + a `mq-server broker` broker-b) on one name server: sends
// spread over both; after broker-b is killed, sends keep succeeding through broker-a (retried
// there, broker-b then avoided), and a consumer keeps consuming.
import t from 'tap';
import { Producer, PushConsumer } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startBroker, startStandalone, waitFor } from './helpers/mq-process.js';

t.teardown(closeAdmin);

t.test('a broker killed mid-run: its queues are avoided and sends succeed through the other', async (t) => {
  const { namesrvAddr, broker: a } = await startStandalone(t);
  const b = await startBroker(t, namesrvAddr, 'broker-b');
  const topic = 'ClientFailover';
  await createTopic(namesrvAddr, [a, b], topic);

  const producer = new Producer({ groupName: 'fo_producer', namesrvAddr, instanceName: 'fo-p', sendMsgTimeoutMs: 3000, sendLatencyFaultEnable: true });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const consumed = new Set<string>();
  const consumer = new PushConsumer({ groupName: 'fo_consumer', namesrvAddr, instanceName: 'fo-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, '*').onMessage((m) => { consumed.add(m.body.toString()); });
  await consumer.start();
  t.teardown(() => consumer.shutdown());

  const brokersUsed = new Set<string>();
  for (let i = 0; i < 16; i++) brokersUsed.add((await producer.send({ topic, body: `before ${i}` })).queue.brokerName);
  t.same([...brokersUsed].sort(), ['broker-a', 'broker-b'], 'round robin uses both brokers');
  await waitFor(() => consumed.size >= 16, 20000, 'messages of both brokers consumed');

  await b.kill();
  const after: string[] = [];
  const begin = Date.now();
  for (let i = 0; i < 30; i++) {
    const r = await producer.send({ topic, body: `after ${i}` });
    t.equal(r.status, 'SEND_OK');
    after.push(r.queue.brokerName);
  }
  t.ok(after.every((n) => n === 'broker-a'), 'every send after the kill landed on broker-a');
  t.notOk(producer.faultStrategy.tolerance.isAvailable('broker-b'), 'broker-b is marked unavailable');
  t.comment(`30 sends after the kill took ${Date.now() - begin} ms`); // no upper bound: timing is noisy under load
  await waitFor(() => [...Array(30).keys()].every((i) => consumed.has(`after ${i}`)), 20000, 'messages sent after the kill consumed');
});
